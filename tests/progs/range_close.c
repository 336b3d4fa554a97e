/* A server that ends a connection with the client's bytes unread (a reset)
 * not with close() but with a range: close_range(s, s, 0), closefrom(s),
 * close_range(s, s, CLOSE_RANGE_UNSHARE), or, after a close_range that
 * fails (flags the kernel does not know: EINVAL, nothing closed), close().
 * The client then reads and says what it got: "eof" (a graceful end),
 * "reset" or "data".  For regress_close_range_ends_sockets.
 *
 *   range_close close_range|closefrom|unshare|bad_flags */
#include "progs.h"

#include <linux/close_range.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "close_range";
	int port, lfd = listen_loopback(0, &port);
	int c = connect_loopback(port), s = accept(lfd, NULL, NULL);
	char buf[16];
	ssize_t n;

	if (s < 0)
		die("accept");
	write_all(c, "unread data", 11);
	/* the bytes are in s's receive queue before it ends */
	while (recv(s, buf, 1, MSG_PEEK | MSG_DONTWAIT) != 1)
		;
	if (strcmp(how, "close_range") == 0) {
		if (close_range((unsigned)s, (unsigned)s, 0) != 0)
			die("close_range");
	} else if (strcmp(how, "closefrom") == 0) {
		closefrom(s);
	} else if (strcmp(how, "unshare") == 0) {
		if (close_range((unsigned)s, (unsigned)s, CLOSE_RANGE_UNSHARE) != 0)
			die("close_range unshare");
	} else if (strcmp(how, "bad_flags") == 0) {
		if (close_range((unsigned)s, (unsigned)s, 1 << 30) == 0 || errno != EINVAL)
			die("close_range with unknown flags did not fail with EINVAL");
		close(s);
	} else {
		fprintf(stderr, "usage: range_close close_range|closefrom|unshare|bad_flags\n");
		return 2;
	}
	n = read(c, buf, sizeof buf);
	printf("%s\n", n == 0 ? "eof" : n < 0 && errno == ECONNRESET ? "reset" : "data");
	return 0;
}
