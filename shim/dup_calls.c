/* Entry points that duplicate descriptors: dup, dup2, dup3, and fcntl's
 * F_DUPFD / F_DUPFD_CLOEXEC (every other fcntl command passes through with
 * its third argument as it came, pointers included).
 *
 * A duplicate is a second reference to the same socket: from then on,
 * closing either number does not drop the last reference, and the shim marks
 * both shared. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>

#include "call.h"
#include "calls.h"
#include "close_path.h"
#include "coldmem.h"
#include "epollset.h"
#include "export.h"
#include "fdtab.h"
#include "libc.h"
#include "privfd.h"
#include "sharecount.h"
#include "shim.h"
#include "sys.h"

/* nfd is a copy of fd; cloexec: whether the copy is close-on-exec (a copy
 * never inherits the flag). */
static void duplicated(int fd, int nfd, bool cloexec)
{
	uint32_t st = fdtab_get(fd) & ~(FD_CLOSED | FD_PRIVATE | FD_CLOSE_ON_EXEC);
	uint64_t cookie = fdtab_cookie(fd);

	if (st & FD_SOCKET) {
		st |= FD_SHARED;
		fdtab_or(fd, FD_SHARED);
	}
	if (st & FD_COUNTED)
		sharecount_add(cookie); /* one more number holds it */
	if (st && cloexec)
		st |= FD_CLOSE_ON_EXEC;
	/* Even unknown (0): the number is open again, no longer "closed". */
	fdtab_set(nfd, st);
	if (cookie)
		fdtab_set_cookie(nfd, cookie);
	if (st & FD_EPOLL)
		epollset_note(nfd); /* (the highest number it is looked for at) */
}

static int real_dup(int fd)
{
	return libc_dup(fd);
}

SHIM_EXPORT int dup(int fd)
{
	if (shim_passthrough())
		return libc_dup(fd);
	return calls_dup(fd, real_dup);
}

int calls_dup(int fd, int (*real)(int fd))
{
	int nfd, saved;

	if (shim_refuses(fd))
		return -1;
	nfd = real(fd);
	if (nfd >= 0) {
		saved = errno;
		duplicated(fd, nfd, false);
		errno = saved;
	}
	return nfd;
}

/* Before dup2/dup3 onto newfd: if it is one of the shim's numbers, moves
 * the shim's descriptor away (the program gets the number it asked for).
 * Returns true if it did. */
static bool clear_target(int fd, int newfd)
{
	struct call c;
	bool moved;

	if (fd == newfd || !privfd_is_private(newfd))
		return false;
	call_enter(&c); /* giving up libunwind's pipe is recorded */
	moved = privfd_evict(newfd);
	call_leave(&c);
	return moved;
}

/* dup2/dup3 onto a number holding a socket: the kernel closes that socket
 * there, as close() would (the JVM's preClose dup2()s a socketpair end over
 * a socket that another thread is using, and the socket ends in that dup2,
 * not in the later close of the number).  So it gets its last close's
 * checks, events and graceful close now, when the call is going to take
 * the number: fd open, and not newfd itself. */
static void end_target(int fd, int newfd)
{
	struct stat st; /* (one: this may run on a handler's small stack) */
	dev_t dev;
	ino_t ino;
	int saved;

	if (fd == newfd || __builtin_expect(!(fdtab_get(newfd) & FD_SOCKET), 1))
		return;
	saved = errno;
	/* (a copy of the same socket put over it ends nothing: an inetd
	 * service's dup2(0, 1) of the connection it was given on both,
	 * shut down under SOCKSHIM_GRACEFUL=always, regress_inherited_
	 * socket_closed) */
	if (sys_fstat(fd, &st) == 0) {
		dev = st.st_dev;
		ino = st.st_ino;
		if (sys_fstat(newfd, &st) != 0 || st.st_dev != dev || st.st_ino != ino)
			close_path_before_takeover(newfd);
	}
	errno = saved;
}

/* After dup2/dup3: ret is its result, cleared what clear_target said. */
static int after_dup2(int fd, int newfd, int ret, bool cleared, bool cloexec)
{
	int saved = errno;

	if (ret >= 0 && fd != newfd)
		duplicated(fd, ret, cloexec);
	else if (ret < 0 && cleared)
		sys_close(newfd); /* the call failed: the shim's old copy, moved away, goes */
	errno = saved;
	return ret;
}

int calls_dup3(int fd, int newfd, int flags, int (*real)(int fd, int newfd, int flags))
{
	bool cleared;

	if (shim_refuses(fd))
		return -1;
	cleared = clear_target(fd, newfd);
	end_target(fd, newfd);
	return after_dup2(fd, newfd, real(fd, newfd, flags), cleared, flags & O_CLOEXEC);
}

static int real_dup2(int fd, int newfd, int flags)
{
	(void)flags;
	return libc_dup2(fd, newfd);
}

SHIM_EXPORT int dup2(int fd, int newfd)
{
	if (shim_passthrough())
		return libc_dup2(fd, newfd);
	return calls_dup3(fd, newfd, 0, real_dup2);
}

SHIM_EXPORT int dup3(int fd, int newfd, int flags)
{
	if (shim_passthrough())
		return libc_dup3(fd, newfd, flags);
	/* refused by the kernel before it takes anything */
	if (fd == newfd || (flags & ~O_CLOEXEC))
		return libc_dup3(fd, newfd, flags);
	return calls_dup3(fd, newfd, flags, libc_dup3);
}

/* The third argument is read as a pointer, as glibc's own fcntl does: an
 * int argument travels in the same register, and the real fcntl reads back
 * what each command expects. */
SHIM_FORK_TEXT static int fcntl_common(int (*real)(int, int, void *), int fd, int cmd, void *arg)
{
	if (shim_passthrough())
		return real(fd, cmd, arg);
	return calls_fcntl(real, fd, cmd, arg);
}

SHIM_FORK_TEXT int calls_fcntl(int (*real)(int, int, void *), int fd, int cmd, void *arg)
{
	int ret;

	if (shim_refuses(fd))
		return -1;
	if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC && cmd != F_SETFD)
		return real(fd, cmd, arg);
	ret = real(fd, cmd, arg);
	if (ret >= 0 && cmd == F_SETFD) {
		/* whether a spawned program inherits it */
		if ((long)arg & FD_CLOEXEC)
			fdtab_or(fd, FD_CLOSE_ON_EXEC);
		else
			fdtab_clear(fd, FD_CLOSE_ON_EXEC);
	} else if (ret >= 0) {
		int saved = errno;

		duplicated(fd, ret, cmd == F_DUPFD_CLOEXEC);
		errno = saved;
	}
	return ret;
}

SHIM_FORK_TEXT SHIM_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(libc_fcntl, fd, cmd, arg);
}

/* Programs built with _FILE_OFFSET_BITS=64 call fcntl64. */
SHIM_FORK_TEXT SHIM_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(libc_fcntl64, fd, cmd, arg);
}
