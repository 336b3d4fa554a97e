/* Binding of the real functions.
 *
 * Each target is looked up with dlsym(RTLD_NEXT) the first time it is needed
 * and kept in an atomic pointer.  Threads that race to the first call may all
 * look it up; they store the same value, so no lock is needed, and a lock
 * here could be found held by a signal handler or a forked child.
 *
 * dlsym reports a missing symbol through dlerror, which allocates; only the
 * optional targets (close_range, closefrom) can be missing, and they are
 * bound once from the constructor by libc_bind_all(). */
#define _GNU_SOURCE
#include "libc.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <unistd.h>

/* A target that dlsym could not find is remembered as this, so that a
 * missing optional symbol is looked up once, not on every call. */
static char missing_marker;
#define MISSING ((void *)&missing_marker)

static void *bind_next(void **slot, const char *name)
{
	void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (__builtin_expect(fn == NULL, 0)) {
		fn = dlsym(RTLD_NEXT, name);
		if (!fn)
			fn = MISSING;
		__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	}
	return fn == MISSING ? NULL : fn;
}

/* Defines libc_NAME(params) calling the bound target with args, and failing
 * with ENOSYS (returning fail) when the target does not exist. */
#define LIBC_CALL(ret, name, fail, params, args)                        \
	static void *name##_next;                                       \
	ret libc_##name params                                          \
	{                                                               \
		ret(*fn) params = (ret(*) params)bind_next(&name##_next, #name); \
		if (__builtin_expect(fn == NULL, 0)) {                  \
			errno = ENOSYS;                                 \
			return fail;                                    \
		}                                                       \
		return fn args;                                         \
	}

LIBC_CALL(int, socket, -1, (int domain, int type, int protocol), (domain, type, protocol))
LIBC_CALL(int, socketpair, -1, (int domain, int type, int protocol, int sv[2]),
	  (domain, type, protocol, sv))
LIBC_CALL(int, accept, -1, (int fd, struct sockaddr *addr, socklen_t *len), (fd, addr, len))
LIBC_CALL(int, accept4, -1, (int fd, struct sockaddr *addr, socklen_t *len, int flags),
	  (fd, addr, len, flags))
LIBC_CALL(int, setsockopt, -1, (int fd, int level, int name, const void *val, socklen_t len),
	  (fd, level, name, val, len))
LIBC_CALL(int, shutdown, -1, (int fd, int how), (fd, how))
LIBC_CALL(int, close, -1, (int fd), (fd))
LIBC_CALL(int, dup, -1, (int fd), (fd))
LIBC_CALL(int, dup2, -1, (int fd, int newfd), (fd, newfd))
LIBC_CALL(int, dup3, -1, (int fd, int newfd, int flags), (fd, newfd, flags))
LIBC_CALL(int, fcntl, -1, (int fd, int cmd, void *arg), (fd, cmd, arg))
LIBC_CALL(int, fcntl64, -1, (int fd, int cmd, void *arg), (fd, cmd, arg))
LIBC_CALL(int, close_range, -1, (unsigned int first, unsigned int last, int flags),
	  (first, last, flags))

static void *closefrom_next;
void libc_closefrom(int lowfd)
{
	void (*fn)(int) = (void (*)(int))bind_next(&closefrom_next, "closefrom");

	if (fn)
		fn(lowfd);
	else
		libc_close_range((unsigned int)lowfd, ~0U, 0);
}

void libc_bind_all(void)
{
	static void **const slots[] = {
		&socket_next, &socketpair_next, &accept_next,  &accept4_next,
		&setsockopt_next, &shutdown_next, &close_next, &dup_next,
		&dup2_next,   &dup3_next,     &fcntl_next,   &fcntl64_next,
		&close_range_next, &closefrom_next,
	};
	static const char *const names[] = {
		"socket", "socketpair", "accept", "accept4", "setsockopt", "shutdown",
		"close",  "dup",        "dup2",   "dup3",    "fcntl",      "fcntl64",
		"close_range", "closefrom",
	};
	int saved = errno;

	for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++)
		bind_next(slots[i], names[i]);
	/* dlsym of a missing symbol leaves a message for dlerror(); the
	 * program must not find it there. */
	dlerror();
	errno = saved;
}
