/* Signal handlers that close sockets while the interrupted thread is itself
 * inside close() or in the middle of writing a log record.
 *
 *   signal_close storm N   the main thread makes, dup2s and closes sockets
 *                          (double closes included) N times while a timer
 *                          fires SIGALRM every 700 us; the handler makes a
 *                          socket and closes it twice (a double_close from
 *                          handler_closer).  Prints the counts.
 *   signal_close eintr     accept() with no client, interrupted by a signal
 *                          whose handler does not restart calls: prints
 *                          what accept returned. */
#include "progs.h"

#include <signal.h>
#include <sys/time.h>

static volatile sig_atomic_t handled;

NOINLINE void handler_closer(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	close(fd);
	close(fd); /* EBADF: a double_close from inside the handler */
}

static void on_alarm(int sig)
{
	int saved = errno;

	(void)sig;
	handler_closer();
	handled++;
	errno = saved;
}

NOINLINE void main_closer(int fd)
{
	close(fd);
}

static int storm(long n)
{
	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	struct itimerval it = {{0, 700}, {0, 700}};
	long doubles = 0;

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			die("socket");
		if (i % 4 == 0 && dup2(fd, 500) == 500)
			close(500);
		main_closer(fd);
		if (i % 8 == 0) {
			main_closer(fd); /* a double close of the main thread */
			doubles++;
		}
	}
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
	printf("main_doubles %ld\nhandled %d\n", doubles, (int)handled);
	return 0;
}

static int eintr(void)
{
	struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
	int lfd = listen_loopback(0, NULL), r;

	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	r = accept(lfd, NULL, NULL);
	printf("accept %d %s\n", r, r < 0 ? strerrorname_np(errno) : "-");
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "storm") == 0)
		return storm(argc > 2 ? atol(argv[2]) : 20000);
	if (argc > 1 && strcmp(argv[1], "eintr") == 0)
		return eintr();
	return 2;
}
