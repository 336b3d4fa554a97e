/* A server that ends a connection with the client's bytes unread (a reset)
 * not with close() but with a range: close_range(s, s, 0), closefrom(s),
 * close_range(s, s, CLOSE_RANGE_UNSHARE), or, after a close_range that
 * fails (flags the kernel does not know: EINVAL, nothing closed), close().
 * Or a range that does not end it: syscall(SYS_close_range) refused
 * (sysrange, run under deny_syscall: ENOSYS), or another thread's
 * close_range(3, ~0U, CLOSE_RANGE_UNSHARE), which closes its own copy of
 * the descriptor table (unshare_thread): the server then answers "still
 * mine" on it, and closes it.  The client then reads and says what it got
 * first: "eof" (a graceful end), "reset" or "data".  A range call that
 * succeeds leaves errno as it was (exit 4 if not).  For
 * regress_close_range_ends_sockets and regress_close_range_not_ended.
 *
 *   range_close close_range|closefrom|unshare|bad_flags|sysrange|unshare_thread */
#include "progs.h"

#include <linux/close_range.h>
#include <pthread.h>
#include <sys/syscall.h>

static void *unshare_and_close(void *arg)
{
	(void)arg;
	if (close_range(3, ~0U, CLOSE_RANGE_UNSHARE) != 0)
		die("close_range unshare in a thread");
	return NULL;
}

/* The range did not end s: it is still the program's. */
static void still_mine(int s)
{
	if (send(s, "still mine\n", 11, MSG_NOSIGNAL) != 11)
		die("send after a range that did not close");
	close(s);
}

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
		errno = 0;
		if (close_range((unsigned)s, (unsigned)s, 0) != 0)
			die("close_range");
		if (errno != 0) {
			fprintf(stderr, "close_range succeeded and errno became %d\n", errno);
			return 4;
		}
	} else if (strcmp(how, "sysrange") == 0) {
		if (syscall(SYS_close_range, s, s, 0) == 0)
			die("syscall(SYS_close_range) was not refused: run under deny_syscall");
		still_mine(s);
	} else if (strcmp(how, "unshare_thread") == 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, unshare_and_close, NULL) != 0 || pthread_join(t, NULL) != 0)
			die("thread");
		still_mine(s);
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
		fprintf(stderr, "usage: range_close close_range|closefrom|unshare|bad_flags|sysrange|unshare_thread\n");
		return 2;
	}
	n = read(c, buf, sizeof buf);
	printf("%s\n", n == 0 ? "eof" : n < 0 && errno == ECONNRESET ? "reset" : "data");
	return 0;
}
