/* A timeout pattern of old servers: a timer signal and siglongjmp around a
 * request, whose last step, close(), is interrupted and never returns.
 *
 *   longjmp_out_of_close
 *
 * Three rounds: a connection with unread data (a graceful close lingers on
 * it: the peer never closes), a 200 ms timer, close(); the handler jumps
 * back.  Each round then prints "round N: jumped|returned, cancellation
 * enabled|DISABLED" and calls close(-1) from bad_closer() (a close_error
 * record under the shim, with the program's backtrace). */
#include "progs.h"

#include <pthread.h>
#include <setjmp.h>
#include <sys/time.h>

static sigjmp_buf env;

static void on_alarm(int sig)
{
	(void)sig;
	siglongjmp(env, 1);
}

NOINLINE void bad_closer(void)
{
	close(-1);
}

int main(void)
{
	struct itimerval in_200ms = {{0, 0}, {0, 200 * 1000}}, off = {{0, 0}, {0, 0}};
	int port, lfd = listen_loopback(0, &port);

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	for (int round = 0; round < 3; round++) {
		int peer = connect_loopback(port), c = accept(lfd, NULL, NULL), old;
		volatile int jumped = 1;

		if (c < 0)
			die("accept");
		write_all(peer, "unread", 6);
		if (sigsetjmp(env, 1) == 0) {
			setitimer(ITIMER_REAL, &in_200ms, NULL);
			close(c); /* the request's end */
			setitimer(ITIMER_REAL, &off, NULL);
			jumped = 0;
		}
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
		printf("round %d: %s, cancellation %s\n", round, jumped ? "jumped" : "returned",
		       old == PTHREAD_CANCEL_ENABLE ? "enabled" : "DISABLED");
		pthread_setcancelstate(old, NULL);
		bad_closer();
	}
	return 0;
}
