/* A buggy server at full speed: every connection is closed with request
 * bytes unread (a reset: close_rst) and then closed a second time
 * (double_close), for SECONDS seconds.  Prints how many of each bug it made
 * and how many connections it served per second.
 *
 *   flood SECONDS */
#include "progs.h"

#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

NOINLINE void rude_close(int fd)
{
	close(fd); /* with the client's bytes unread: RST */
}

NOINLINE void second_close(int fd)
{
	close(fd); /* EBADF: a double close */
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2, start = now();
	int port, lfd = listen_loopback(0, &port);
	long served = 0;
	char req[200];

	memset(req, 'r', sizeof req);
	while (now() - start < seconds) {
		int c = connect_loopback(port), s = accept(lfd, NULL, NULL);

		if (s < 0)
			die("accept");
		write_all(c, req, sizeof req);
		/* the bytes are in s's receive queue before it is closed */
		while (recv(s, req, 1, MSG_PEEK | MSG_DONTWAIT) != 1)
			;
		rude_close(s);
		second_close(s);
		close(c);
		served++;
	}
	printf("bugs %ld\nrate %.0f\n", served, served / (now() - start));
	return 0;
}
