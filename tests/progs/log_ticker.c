/* A long-lived process that logs steadily, for the tests of the log's
 * destinations over time (a daemon restarted under it, a file rotated
 * under it): every INTERVAL_MS, ticker_rude_close() closes the server end
 * of a fresh loopback connection with request bytes unread (one close_rst
 * record), COUNT times.  The Nth record (from 1) has "unread":N, a sequence
 * number (ports may come back).  Prints "tick N peer 127.0.0.1:PORT" for
 * each, then "ok".
 *
 *   log_ticker COUNT INTERVAL_MS */
#include "progs.h"

#include <time.h>

NOINLINE void ticker_rude_close(int fd)
{
	char part[16];

	if (read(fd, part, sizeof part) <= 0) /* reads only part of the request */
		die("read");
	close(fd);
}

int main(int argc, char **argv)
{
	int port, lfd, count;
	long interval_ms;
	static char request[65536];

	if (argc != 3)
		return 2;
	count = atoi(argv[1]);
	if (count < 0 || count > (int)sizeof request - 17)
		return 2;
	interval_ms = atol(argv[2]);
	setvbuf(stdout, NULL, _IOLBF, 0);
	lfd = listen_loopback(0, &port);
	memset(request, 'r', sizeof request);
	for (int i = 0; i < count; i++) {
		struct timespec pause = {interval_ms / 1000, interval_ms % 1000 * 1000000};
		struct sockaddr_in peer;
		socklen_t len = sizeof peer;
		int c = connect_loopback(port);
		int s = accept(lfd, (struct sockaddr *)&peer, &len);

		if (s < 0)
			die("accept");
		write_all(c, request, 16 + (size_t)i + 1); /* 16 read, i + 1 left */
		printf("tick %d peer 127.0.0.1:%d\n", i + 1, ntohs(peer.sin_port));
		ticker_rude_close(s);
		/* the client reads the reset, so that its own close is clean */
		while (read(c, request, sizeof request) > 0)
			;
		close(c);
		while (nanosleep(&pause, &pause) != 0 && errno == EINTR)
			;
	}
	close(lfd);
	printf("ok\n");
	return 0;
}
