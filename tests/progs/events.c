/* Causes one kind of event per mode, from functions with telling names
 * (exported with -rdynamic, so that the shim's backtraces name them):
 *
 *   events double_close      first_closer() closes, second_closer() again
 *   events close_error       bad_closer() closes -1
 *   events close_errors N    the same N times
 *   events shutdown_error    shutdown_caller() on an unconnected socket
 *   events setsockopt_error  option_setter() sets an option that does not exist
 *   events unread_data       rude_closer() closes with request bytes unread
 *   events linger_zero       abortive_closer() closes with SO_LINGER {1, 0}
 *   events pending_error     careless_closer() closes a socket whose peer
 *                            reset it, without reading the error
 *   events pending_error_unread  the same, with bytes from the peer unread
 *                            too (the kernel keeps them after the reset)
 *   events pending_error_linger  the same, with SO_LINGER {1, 0} set on it
 *   events pending_epipe     careless_closer() closes, with bytes unread and
 *                            SO_LINGER {1, 0}, a socket whose peer closed
 *                            and then reset it for a byte written after
 *                            (EPIPE, which reads never return: no record)
 *   events calls             a socket, connect, accept, shutdown and close
 *   events unix              a unix socket pair, written and closed
 *   events close_eio         eio_closer() closes fd 42, which fails with EIO
 *                            under tests/preload/fail_close.so
 *   events deep              deep_closer() closes twice from 100 calls deep
 *   events chain             link12() closes a pipe twice, 12 calls deep
 *                            through link1() ... link12(), each its own
 *   events double_closes N   N times: twice_here() closes a pipe end twice,
 *                            then twice_there() the other, from one depth
 *
 * The program prints "ok" when the calls returned what they should. */
#include "progs.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/un.h>

NOINLINE void first_closer(int fd)
{
	if (close(fd) != 0)
		die("first close");
}

NOINLINE void second_closer(int fd)
{
	if (close(fd) == 0 || errno != EBADF)
		die("second close should fail with EBADF");
}

NOINLINE void bad_closer(void)
{
	if (close(-1) == 0 || errno != EBADF)
		die("close(-1) should fail");
}

NOINLINE void shutdown_caller(int fd)
{
	if (shutdown(fd, SHUT_RDWR) == 0 || errno != ENOTCONN)
		die("shutdown should fail with ENOTCONN");
}

NOINLINE void option_setter(int fd)
{
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, 4242, &one, sizeof one) == 0)
		die("setsockopt should fail");
}

/* A connected pair over loopback: *client and *server. */
static void pair(int *client, int *server)
{
	int port, lfd = listen_loopback(0, &port);

	*client = connect_loopback(port);
	*server = accept(lfd, NULL, NULL);
	if (*server < 0)
		die("accept");
	close(lfd);
}

static void wait_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	poll(&p, 1, 5000);
}

NOINLINE void rude_closer(int fd)
{
	char line[16];

	if (read(fd, line, sizeof line) <= 0) /* reads only part of the request */
		die("read");
	write_all(fd, "answer\n", 7);
	close(fd);
}

NOINLINE void abortive_closer(int fd)
{
	struct linger lg = {1, 0};

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0)
		die("SO_LINGER");
	close(fd);
}

NOINLINE void careless_closer(int fd)
{
	close(fd);
}

NOINLINE void eio_closer(int fd)
{
	if (close(fd) == 0 || errno != EIO)
		die("close should fail with EIO");
}

NOINLINE int deep_closer(int depth, int fd)
{
	int r;

	if (depth > 0)
		r = deep_closer(depth - 1, fd);
	else
		r = close(fd) + close(fd);
	__asm__ volatile("" ::: "memory"); /* no tail call: keep every frame */
	return r;
}

/* link1 calls link2 ... link12 closes: twelve frames each of its own
 * name, so that a frame missing or twice at any depth shows. */
NOINLINE int link12(int fd)
{
	int r = close(fd);

	r += close(fd);
	__asm__ volatile("" ::: "memory");
	return r;
}
#define LINK(n, next)                                              \
	NOINLINE int link##n(int fd)                               \
	{                                                          \
		int r = next(fd);                                  \
		__asm__ volatile("" ::: "memory"); /* no tail call */ \
		return r;                                          \
	}
LINK(11, link12)
LINK(10, link11)
LINK(9, link10)
LINK(8, link9)
LINK(7, link8)
LINK(6, link7)
LINK(5, link6)
LINK(4, link5)
LINK(3, link4)
LINK(2, link3)
LINK(1, link2)

/* Two call sites of double closes, called from the same place in turn:
 * each close at the same stack pointer, the frames above them the same,
 * the return addresses into them not. */
static volatile int where;

NOINLINE void twice_here(int fd)
{
	where = 1;
	first_closer(fd);
	second_closer(fd);
	where = 2;
}

NOINLINE void twice_there(int fd)
{
	where = 3;
	first_closer(fd);
	second_closer(fd);
	where = 4;
}

NOINLINE void double_closes(void (*site)(int), int fd)
{
	site(fd);
	__asm__ volatile("" ::: "memory"); /* no tail call */
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int c, s;

	if (strcmp(mode, "double_close") == 0) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		first_closer(fd);
		second_closer(fd);
	} else if (strcmp(mode, "close_error") == 0) {
		bad_closer();
	} else if (strcmp(mode, "close_errors") == 0 && argc > 2) {
		for (int i = atoi(argv[2]); i > 0; i--)
			bad_closer();
	} else if (strcmp(mode, "shutdown_error") == 0) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		shutdown_caller(fd);
		close(fd);
	} else if (strcmp(mode, "setsockopt_error") == 0) {
		int fd = socket(AF_INET6, SOCK_STREAM, 0);

		option_setter(fd);
		close(fd);
	} else if (strcmp(mode, "unread_data") == 0) {
		char buf[64];
		static char request[4000];

		pair(&c, &s);
		memset(request, 'r', sizeof request);
		write_all(c, request, sizeof request);
		wait_readable(s);
		rude_closer(s);
		/* the client sees the reset */
		wait_readable(c);
		usleep(100000);
		while (read(c, buf, sizeof buf) > 0)
			;
		printf("client: %s\n", strerror(errno));
		close(c);
	} else if (strcmp(mode, "linger_zero") == 0) {
		pair(&c, &s);
		abortive_closer(s);
		close(c);
	} else if (strcmp(mode, "pending_error") == 0) {
		struct linger lg = {1, 0};

		pair(&c, &s);
		/* the peer resets the connection (bare: no shim event for it,
		 * it is not "closed by this program" with unread data) */
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(s);
		usleep(100000);
		careless_closer(c);
	} else if (strcmp(mode, "pending_error_unread") == 0 ||
		   strcmp(mode, "pending_error_linger") == 0) {
		struct linger lg = {1, 0};

		pair(&c, &s);
		if (strcmp(mode, "pending_error_unread") == 0) {
			write_all(s, "answer", 6);
			wait_readable(c);
		} else {
			setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		}
		setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		close(s);
		usleep(100000);
		careless_closer(c);
	} else if (strcmp(mode, "pending_epipe") == 0) {
		struct linger lg = {1, 0};

		pair(&c, &s);
		write_all(s, "hello", 5);
		close(s); /* its FIN */
		wait_readable(c);
		usleep(100000);
		write_all(c, "x", 1); /* after the peer's close: it resets */
		usleep(100000);
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
		careless_closer(c);
	} else if (strcmp(mode, "calls") == 0) {
		pair(&c, &s);
		shutdown(c, SHUT_WR);
		close(c);
		close(s);
	} else if (strcmp(mode, "unix") == 0) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
			die("socketpair");
		write_all(sv[0], "x", 1);
		close(sv[1]); /* unread data on a unix socket: no RST, no event */
		close(sv[0]);
	} else if (strcmp(mode, "close_eio") == 0) {
		int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

		if (dup2(fd, 42) != 42)
			die("dup2");
		close(fd);
		eio_closer(42);
		/* Linux released the number all the same */
		if (fcntl(42, F_GETFD) != -1 || errno != EBADF)
			die("fd 42 still open");
	} else if (strcmp(mode, "deep") == 0) {
		deep_closer(100, socket(AF_INET, SOCK_STREAM, 0));
	} else if (strcmp(mode, "double_closes") == 0 && argc > 2) {
		for (int i = atoi(argv[2]); i > 0; i--) {
			int p[2];

			if (pipe(p) != 0)
				die("pipe");
			double_closes(twice_here, p[0]);
			double_closes(twice_there, p[1]);
		}
	} else if (strcmp(mode, "chain") == 0) {
		int p[2];

		if (pipe(p) != 0)
			die("pipe");
		if (link1(p[0]) != -1 || errno != EBADF)
			die("the second close should fail with EBADF");
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	printf("ok\n");
	return 0;
}
