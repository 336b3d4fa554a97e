/* A preloaded library stacked after sockshim that wraps the I/O calls a
 * tracer would see, and counts those made from inside libsockshim.so: the
 * shim's own housekeeping (writing a record, probing or draining a socket,
 * opening its log, looking up addresses) must never reach another preload,
 * which would take it for the program's doing.  Prints the count at exit. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static int from_shim;
static char first[64];

static void note(const char *name, void *caller)
{
	Dl_info info;

	if (dladdr(caller, &info) && info.dli_fname && strstr(info.dli_fname, "libsockshim")) {
		if (!from_shim++)
			snprintf(first, sizeof first, "%s", name);
	}
}

#define NEXT(name) \
	static __typeof__(name) *next; \
	if (!next) next = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buf, size_t n)
{
	NEXT(write);
	note("write", __builtin_return_address(0));
	return next(fd, buf, n);
}

ssize_t read(int fd, void *buf, size_t n)
{
	NEXT(read);
	note("read", __builtin_return_address(0));
	return next(fd, buf, n);
}

ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	NEXT(recv);
	note("recv", __builtin_return_address(0));
	return next(fd, buf, n, flags);
}

ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *sa, socklen_t *len)
{
	NEXT(recvfrom);
	note("recvfrom", __builtin_return_address(0));
	return next(fd, buf, n, flags, sa, len);
}

int poll(struct pollfd *p, nfds_t n, int timeout)
{
	NEXT(poll);
	note("poll", __builtin_return_address(0));
	return next(p, n, timeout);
}

int getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	NEXT(getsockname);
	note("getsockname", __builtin_return_address(0));
	return next(fd, sa, len);
}

int getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	NEXT(getpeername);
	note("getpeername", __builtin_return_address(0));
	return next(fd, sa, len);
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	NEXT(getsockopt);
	note("getsockopt", __builtin_return_address(0));
	return next(fd, level, name, val, len);
}

int epoll_ctl(int ep, int op, int fd, struct epoll_event *ev)
{
	NEXT(epoll_ctl);
	note("epoll_ctl", __builtin_return_address(0));
	return next(ep, op, fd, ev);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int mode;

	NEXT(open);
	va_start(ap, flags);
	mode = va_arg(ap, int);
	va_end(ap);
	note("open", __builtin_return_address(0));
	return next(path, flags, mode);
}

__attribute__((destructor)) static void report(void)
{
	fprintf(stderr, "count_io: %d calls from sockshim%s%s\n", from_shim,
		from_shim ? ", the first: " : "", first);
}
