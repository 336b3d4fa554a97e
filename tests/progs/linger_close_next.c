/* A close with SO_LINGER {1, N} of a connection whose peer reads nothing
 * (its send queue full), then another call (the close of a pipe's end):
 * prints how long each took, in ms.  Bare, the first waits N s, as the
 * program asked; the second does not wait (the supervisor's tests:
 * regress_supervise_linger_close_not_held).
 *
 *   linger_close_next N */
#include "progs.h"

#include <fcntl.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int port, l = listen_loopback(0, &port), c = connect_loopback(port), s, p[2];
	struct linger lg = {1, argc > 1 ? atoi(argv[1]) : 4};
	static char chunk[65536];
	double t0, t1, t2;

	s = accept(l, NULL, NULL);
	if (s < 0 || pipe(p) != 0)
		die("accept or pipe");
	/* the send queue full: c never reads */
	fcntl(s, F_SETFL, O_NONBLOCK);
	while (send(s, chunk, sizeof chunk, 0) > 0)
		;
	fcntl(s, F_SETFL, 0);
	if (setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0)
		die("SO_LINGER");
	t0 = now_ms();
	close(s);
	t1 = now_ms();
	close(p[0]);
	t2 = now_ms();
	printf("close %.0f ms, next %.0f ms\n", t1 - t0, t2 - t1);
	close(p[1]);
	close(c);
	return 0;
}
