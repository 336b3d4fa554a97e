/* exit() whose at-exit lingering is interrupted by a signal whose handler
 * calls _exit(3) (a daemon's SIGTERM handler, a watchdog): the sockets
 * the exit was ending must not be ended twice.  The connection's peer is
 * a forked child: it waits for the FIN of the parent's exit, signals the
 * parent, then closes its end after a moment (300 ms).  argv[1] "close":
 * the parent's close() of the connection is what the handler interrupts
 * (under SOCKSHIM_LINGER_MODE=sync it lingers in the close), not exit(). */
#include "progs.h"

#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>

static void on_usr1(int sig)
{
	(void)sig;
	_exit(3);
}

int main(int argc, char **argv)
{
	int port, lfd = listen_loopback(0, &port);
	int c = connect_loopback(port);
	int s, ms = 300;
	bool in_close = argc > 1 && strcmp(argv[1], "close") == 0;
	pid_t parent = getpid();
	char buf[64];
	int ready[2];

	signal(SIGUSR1, on_usr1);
	s = accept(lfd, NULL, NULL);
	if (s < 0)
		die("accept");
	if (pipe(ready) != 0)
		die("pipe");
	if (fork() == 0) {
		struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

		close(c);
		close(lfd);
		/* (its copy gone before the parent's exit: the parent's is the
		 * last, and lingered on) */
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		while (read(s, buf, sizeof buf) > 0)
			;
		kill(parent, SIGUSR1);
		nanosleep(&t, NULL);
		close(s);
		_exit(0);
	}
	close(s);
	close(lfd);
	if (read(ready[0], buf, 1) != 1)
		die("read");
	if (in_close) {
		close(c);
		pause();
	}
	exit(0);
}
