/* A child made by syscall(SYS_fork) (no atfork handlers run in it) closes
 * its copy of a connection and ends; the parent then still talks on its
 * own copy.  Bare, the child's close only drops a reference: the parent's
 * bytes reach the peer.  Prints what the peer read; exits 0 if it read
 * the parent's "hello" before EOF, 1 if not, 2 on a setup failure.
 * argv[1]: "close" (the child closes and _exits) or "exit" (the child
 * _exits with the socket open). */
#include "progs.h"

#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	int port, lfd = listen_loopback(0, &port);
	int c = connect_loopback(port);
	int s, st;
	char buf[16] = {0};
	long pid;
	ssize_t n;
	bool do_close = argc < 2 || strcmp(argv[1], "close") == 0;

	s = accept(lfd, NULL, NULL);
	if (s < 0)
		die("accept");
	pid = syscall(SYS_fork);
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (do_close)
			close(c);
		_exit(0);
	}
	if (waitpid((pid_t)pid, &st, 0) != pid)
		die("waitpid");
	if (send(c, "hello", 5, MSG_NOSIGNAL) != 5)
		fprintf(stderr, "parent's send: %s\n", strerror(errno));
	close(c);
	n = recv(s, buf, sizeof buf - 1, MSG_WAITALL);
	printf("peer read %zd: '%s'\n", n, buf);
	return n == 5 && strcmp(buf, "hello") == 0 ? 0 : 1;
}
