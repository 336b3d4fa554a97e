/* A program whose signal handler forks while the main thread is inside
 * close() of a connection with the request unread (a close_rst): the child
 * goes on from where the parent was, in the same close.
 *
 *   fork_in_close PORT
 * Prints "listening", accepts one connection, waits for its request, arms
 * a 100 ms timer whose handler forks, closes the connection from
 * close_with_unread(); the child exits 0 after the close, the parent waits
 * for it and exits 0.  (A test widens the close with strace.) */
#include "progs.h"

#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

static void on_alarm(int sig)
{
	(void)sig;
	fork(); /* the child goes on where the parent was */
}

NOINLINE void close_with_unread(int fd)
{
	close(fd);
}

int main(int argc, char **argv)
{
	int lfd, c;
	pid_t parent = getpid();
	struct itimerval it = {{0, 0}, {0, 100000}};
	char b;

	if (argc != 2)
		die("usage: fork_in_close PORT");
	lfd = listen_loopback(atoi(argv[1]), NULL);
	printf("listening\n");
	fflush(stdout);
	c = accept(lfd, NULL, NULL);
	if (c < 0)
		die("accept");
	while (recv(c, &b, 1, MSG_PEEK) != 1)
		;
	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &it, NULL);
	close_with_unread(c);
	if (getpid() != parent)
		_exit(0);
	while (wait(NULL) > 0)
		;
	return 0;
}
