/* Entry points that end descriptors: close, shutdown, close_range,
 * closefrom. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event.h"
#include "export.h"
#include "fdtab.h"
#include "libc.h"
#include "privfd.h"
#include "shim.h"
#include "sockshim.h"

/* close() failed: st is what the table knew of fd before. */
static int close_failed(int fd, uint32_t st, int err)
{
	/* Linux releases the number even when close fails (EINTR, EIO);
	 * only EBADF means there was nothing to close. */
	if (err != EBADF)
		fdtab_store(fd, FD_CLOSED);
	if (event_wanted(&shim_cfg, EVENTS_ERRORS)) {
		struct event ev = EVENT_INIT(SOCKSHIM_EV_CLOSE_ERROR, LOG_SEV_ERROR);

		if (err == EBADF && (st & FD_CLOSED))
			ev.name = SOCKSHIM_EV_DOUBLE_CLOSE;
		ev.fd = fd;
		ev.fd_state = st;
		ev.err = err;
		event_emit(&ev);
	}
	errno = err;
	return -1;
}

SHIM_EXPORT int close(int fd)
{
	struct fd_entry *e;
	uint32_t st;

	if (shim_passthrough())
		return libc_close(fd);
	e = fdtab_lookup(fd);
	st = e ? __atomic_load_n(&e->state, __ATOMIC_RELAXED) : 0;
	if (__builtin_expect(st & FD_PRIVATE, 0)) {
		/* The shim's own number: move the shim's descriptor away, then
		 * let the close succeed as the program expects. */
		privfd_evict(fd);
		st = 0;
	}
	if (__builtin_expect(libc_close(fd) != 0, 0))
		return close_failed(fd, st, errno);
	/* The hot path: no errno access, one store. */
	if (__builtin_expect(e != NULL, 1))
		__atomic_store_n(&e->state, FD_CLOSED, __ATOMIC_RELAXED);
	else
		fdtab_store(fd, FD_CLOSED);
	return 0;
}

SHIM_EXPORT int shutdown(int fd, int how)
{
	int ret, saved;

	if (shim_passthrough())
		return libc_shutdown(fd, how);
	ret = libc_shutdown(fd, how);
	saved = errno;
	if (event_wanted(&shim_cfg, ret == 0 ? EVENTS_ALL : EVENTS_ERRORS)) {
		struct event ev = EVENT_INIT(ret == 0 ? SOCKSHIM_EV_SHUTDOWN
						      : SOCKSHIM_EV_SHUTDOWN_ERROR,
					     ret == 0 ? LOG_SEV_INFO : LOG_SEV_ERROR);

		ev.fd = fd;
		ev.fd_state = fdtab_get(fd);
		ev.addresses = true;
		ev.err = ret == 0 ? 0 : saved;
		event_emit(&ev);
	}
	errno = saved;
	return ret;
}

static void mark_closed(int fd, uint32_t st, void *ctx)
{
	(void)ctx;
	if (!(st & FD_PRIVATE))
		fdtab_set(fd, FD_CLOSED);
}

/* Runs op(lo, hi) on each part of [first, last] that holds none of the
 * shim's own numbers, so that the program's range operation never reaches
 * them.  Returns the first failure, or 0. */
static int split_range(unsigned first, unsigned last, int flags,
		       int (*op)(unsigned lo, unsigned hi, int flags))
{
	int priv[PRIVFD_SLOTS];
	int n = privfd_numbers(priv, PRIVFD_SLOTS);
	unsigned lo = first;
	int ret = 0, err = 0;

#define RUN(a, b)                                              \
	do {                                                   \
		if (op((a), (b), flags) != 0 && ret == 0) {    \
			ret = -1;                              \
			err = errno;                           \
		}                                              \
	} while (0)
	for (int i = 0; i < n; i++) {
		unsigned p = (unsigned)priv[i]; /* sorted */

		if (p < lo)
			continue;
		if (p > last)
			break;
		if (p > lo)
			RUN(lo, p - 1);
		if (p == last)
			goto out;
		lo = p + 1;
	}
	RUN(lo, last);
#undef RUN
out:
	if (ret != 0)
		errno = err;
	return ret;
}

static int range_close(unsigned lo, unsigned hi, int flags)
{
	return libc_close_range(lo, hi, flags);
}

static void note_range_closed(unsigned first, unsigned last, int flags)
{
	if (flags & CLOSE_RANGE_CLOEXEC)
		return;
	fdtab_each((int)(first > 0x7fffffffU ? 0x7fffffffU : first),
		   (int)(last > 0x7fffffffU ? 0x7fffffffU : last),
		   ~(uint32_t)(FD_CLOSED | FD_PRIVATE), mark_closed, NULL);
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	int ret, saved;

	/* What the kernel refuses, it refuses the same without the split. */
	if (shim_passthrough() || first > last ||
	    (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)))
		return libc_close_range(first, last, flags);
	ret = split_range(first, last, flags, range_close);
	saved = errno;
	if (ret == 0)
		note_range_closed(first, last, flags);
	errno = saved;
	return ret;
}

static int range_closefrom(unsigned lo, unsigned hi, int flags)
{
	(void)flags;
	if (hi == ~0U) {
		libc_closefrom((int)lo);
		return 0;
	}
	return libc_close_range(lo, hi, 0);
}

SHIM_EXPORT void closefrom(int lowfd)
{
	int saved;

	if (shim_passthrough() || lowfd < 0) {
		libc_closefrom(lowfd);
		return;
	}
	saved = errno;
	split_range((unsigned)lowfd, ~0U, 0, range_closefrom);
	note_range_closed((unsigned)lowfd, ~0U, 0);
	errno = saved;
}
