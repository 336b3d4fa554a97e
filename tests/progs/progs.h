/* Small helpers shared by the test programs in tests/progs/. */
#ifndef SHIM_TEST_PROGS_H
#define SHIM_TEST_PROGS_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <signal.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static inline void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(2);
}

/* Until at least BYTES are in FD's receive queue (for up to 10 s): on
 * loopback they usually are when the peer's write returns, but a loaded
 * machine can leave the delivery to ksoftirqd, and a fixed sleep guesses.
 * -1 if they never came. */
static inline int await_queued(int fd, int bytes)
{
	for (int i = 0; i < 10000; i++) {
		int queued = 0;

		if (ioctl(fd, FIONREAD, &queued) == 0 && queued >= bytes)
			return 0;
		usleep(1000);
	}
	return -1;
}

/* Until FD's TCP state is STATE (want 1) or is no longer STATE (want 0),
 * for up to 10 s; -1 if not.  Async-signal-safe. */
static inline int await_tcp_state(int fd, int state, int want)
{
	for (int i = 0; i < 10000; i++) {
		struct tcp_info ti;
		socklen_t len = sizeof ti;

		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
		    (ti.tcpi_state == state) == want)
			return 0;
		usleep(1000);
	}
	return -1;
}

/* A listening TCP socket on 127.0.0.1 (port 0: any); its port in *port. */
static inline int listen_loopback(int port, int *bound_port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
		die("bind");
	if (listen(fd, 128) != 0)
		die("listen");
	if (bound_port) {
		getsockname(fd, (struct sockaddr *)&a, &len);
		*bound_port = ntohs(a.sin_port);
	}
	return fd;
}

static inline int connect_loopback(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		die("socket");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
		die("connect");
	return fd;
}

/* A SOL_SOCKET option of fd that is a flag (SO_REUSEADDR...): 0 or 1. */
static inline int socket_flag(int fd, int name)
{
	int v = -1;
	socklen_t len = sizeof v;

	if (getsockopt(fd, SOL_SOCKET, name, &v, &len) != 0)
		die("getsockopt");
	return v != 0;
}

static inline void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Sends fd over the unix socket sock in SCM_RIGHTS, with one byte. */
static inline void send_fd(int sock, int fd)
{
	char byte = 'f';
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = u.space, .msg_controllen = sizeof u.space};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	memset(&u, 0, sizeof u);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	if (sendmsg(sock, &m, 0) != 1)
		die("sendmsg");
}

/* The descriptor sent on sock with send_fd; -1 if none came. */
static inline int recv_fd(int sock)
{
	char byte;
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = u.space, .msg_controllen = sizeof u.space};
	int fd = -1;

	if (recvmsg(sock, &m, 0) != 1 || !CMSG_FIRSTHDR(&m))
		return -1;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
	return fd;
}

/* One int through a pipe, between a test's processes or threads. */
static inline void put_int(int fd, int v)
{
	if (write(fd, &v, sizeof v) != sizeof v)
		die("write");
}

static inline int get_int(int fd)
{
	int v;

	if (read(fd, &v, sizeof v) != sizeof v)
		die("read");
	return v;
}

/* The seed's bug, the server's side of it: reads the first part of the
 * request (one read, at most 128 bytes: the rest stays unread) and answers
 * answer_bytes bytes.  The caller ends the connection its own way. */
static inline void read_then_answer(int fd, size_t answer_bytes)
{
	static char chunk[65536];
	char line[128];

	if (read(fd, line, sizeof line) <= 0) /* "the first line" (and no more) */
		die("read");
	memset(chunk, 'a', sizeof chunk);
	while (answer_bytes > 0) {
		size_t len = answer_bytes < sizeof chunk ? answer_bytes : sizeof chunk;

		write_all(fd, chunk, len);
		answer_bytes -= len;
	}
}

/* A system call the shim cannot see: not through libc's syscall(), which
 * may be interposed, but the instruction itself.  Returns -errno on
 * failure, as the kernel does.  x86_64 only; elsewhere -ENOSYS (the tests
 * that need it skip). */
static inline long raw_syscall3(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
#else
	(void)nr, (void)a, (void)b, (void)c;
	return -ENOSYS;
#endif
}

/* Registers fd (a connection whose peer is peer) in the epoll instance ep,
 * closes it while the peer is connected, lets the peer write, and asks
 * ep: "stale" if an event came for the closed number, else "none" (bare:
 * the close removed the registration). */
static inline const char *closed_in_epoll(int ep, int fd, int peer)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		die("epoll_ctl");
	close(fd);
	usleep(100000);
	write_all(peer, "x", 1);
	return epoll_wait(ep, &ev, 1, 300) > 0 ? "stale" : "none";
}

#endif
