/* The client of seed_server: sends a request of REQUEST_BYTES (a first line
 * and a body), then reads the answer to its end and says how it ended:
 *
 *   received N bytes, then EOF                      (exit 0)
 *   received N bytes, then Connection reset by peer (exit 1)
 *
 *   seed_client PORT REQUEST_BYTES [HOLD_MS]
 * HOLD_MS: after the EOF, keep the connection open that long before
 * closing it (a server that shuts down and closes a little later then
 * closes a connection the client still has, as a slower client would). */
#include "progs.h"

int main(int argc, char **argv)
{
	static char buf[65536];
	size_t request, total = 0;
	ssize_t n;
	int fd;

	if (argc != 3 && argc != 4)
		return 2;
	request = strtoul(argv[2], NULL, 10);
	fd = connect_loopback(atoi(argv[1]));
	write_all(fd, "GET /answer HTTP/1.0\r\n", 22);
	memset(buf, 'b', sizeof buf);
	for (size_t sent = 22; sent < request;) {
		size_t len = request - sent < sizeof buf ? request - sent : sizeof buf;

		write_all(fd, buf, len);
		sent += len;
	}
	while ((n = read(fd, buf, sizeof buf)) > 0)
		total += (size_t)n;
	if (n == 0) {
		if (argc == 4)
			usleep((useconds_t)atoi(argv[3]) * 1000);
		printf("received %zu bytes, then EOF\n", total);
		return 0;
	}
	printf("received %zu bytes, then %s\n", total, strerror(errno));
	return 1;
}
