/* A signal handler that makes a pipe (pipe2 is async-signal-safe) and
 * closes it, while the main thread's close(-1) is being logged with a
 * backtrace: most of the handler's pipes are made while the shim's
 * unwinder (libunwind, which makes pipes of its own) is at work.
 *
 *   handler_pipe2_during_unwind
 *
 * A 200 us interval timer; main calls close(-1) (from bad_closer) until the
 * handler has made 500 pipes.  Prints "closes C, pipes P, at 900 and above
 * H, close failed F" (bare: H and F are 0). */
#include "progs.h"

#include <fcntl.h>
#include <sys/time.h>

static volatile int made, high, refused;

static void on_alarm(int sig)
{
	int fds[2], e = errno;

	(void)sig;
	/* (a signal between main's last look at made and the timer's end,
	 * on a busy machine: one pipe too many) */
	if (made < 500 && pipe2(fds, O_CLOEXEC) == 0) {
		made++;
		if (fds[0] >= 900 || fds[1] >= 900)
			high++;
		if (close(fds[0]) != 0)
			refused++;
		if (close(fds[1]) != 0)
			refused++;
	}
	errno = e;
}

NOINLINE void bad_closer(void)
{
	close(-1);
}

int main(void)
{
	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	struct itimerval it = {{0, 200}, {0, 200}};
	long closes = 0;

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	while (made < 500) {
		bad_closer();
		closes++;
	}
	it = (struct itimerval){{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &it, NULL);
	printf("closes %ld, pipes %d, at 900 and above %d, close failed %d\n", closes, made, high, refused);
	return 0;
}
