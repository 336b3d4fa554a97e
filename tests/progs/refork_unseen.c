/* A fork whose child dies unseen, then a fork that serves (the supervisor's
 * tests: regress_supervise_fork_unseen_child).
 *
 *   refork_unseen
 *        forks a first child that kills itself (SIGKILL) before any call
 *        the supervisor traps, and reaps it; then accepts a connection
 *        (no trapped call either) and forks a second child to serve it
 *        (its fork is the forker's next trapped call after the first's,
 *        with the same number), and closes its own copy.  The child answers
 *        "hello" a second later.  Prints what the client got first. */
#include "progs.h"

#include <sys/wait.h>

int main(void)
{
	int port, l = listen_loopback(0, &port), c, s;
	char buf[64];
	ssize_t n;
	pid_t first, server;

	signal(SIGPIPE, SIG_IGN);
	first = fork();
	if (first < 0)
		die("fork");
	if (first == 0) {
		kill(getpid(), SIGKILL);
		for (;;)
			pause();
	}
	waitpid(first, NULL, 0);
	c = connect_loopback(port);
	if ((s = accept(l, NULL, NULL)) < 0)
		die("accept");
	write_all(c, "abc", 3);
	usleep(50000);
	server = fork();
	if (server < 0)
		die("fork");
	if (server == 0) {
		usleep(1000000);
		write_all(s, "hello", 5);
		close(s);
		_exit(0);
	}
	close(s);
	n = read(c, buf, sizeof buf - 1);
	if (n > 0)
		buf[n] = '\0';
	printf("client: %s\n", n > 0 ? buf : n == 0 ? "EOF first" : "error");
	waitpid(server, NULL, 0);
	return 0;
}
