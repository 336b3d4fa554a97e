/* Entry points that end descriptors: close, shutdown, close_range,
 * closefrom. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <limits.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <unistd.h>

#include "close_history.h"
#include "event.h"
#include "export.h"
#include "fdtab.h"
#include "libc.h"
#include "linger.h"
#include "privfd.h"
#include "shim.h"
#include "sockshim.h"

/* Where this close comes from, for a later double_close: 0 when events or
 * backtraces are off. */
static uint32_t remember_close(void)
{
	if (!event_wanted(&shim_cfg, EVENTS_ERRORS) || !shim_cfg.backtrace)
		return 0;
	return close_history_record(shim_cfg.backtrace_depth);
}

/* Records that this process is closing fd; returns its entry, or NULL when
 * the table has nothing near fd.  This happens before the real close: once
 * the number is free, another thread may get it back from socket() or
 * accept() and record it, and that must not be overwritten. */
static struct fd_entry *mark_closing(struct fd_entry *e)
{
	if (e) {
		__atomic_store_n(&e->aux, remember_close(), __ATOMIC_RELAXED);
		__atomic_store_n(&e->state, FD_CLOSED, __ATOMIC_RELEASE);
	}
	return e;
}

/* After a successful close of fd, which the table knew nothing near:
 * record it now (the number was real, so is the room for it), unless
 * another thread has got the number back meanwhile. */
static void mark_closed_late(int fd)
{
	struct fd_entry *e = fdtab_make(fd);
	uint32_t none = 0;

	if (e && __atomic_compare_exchange_n(&e->state, &none, FD_CLOSED, false,
					     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		__atomic_store_n(&e->aux, remember_close(), __ATOMIC_RELAXED);
}

/* close() failed with err.  st and aux: what the table held for fd before
 * mark_closing. */
static int close_failed(int fd, struct fd_entry *e, uint32_t st, uint32_t aux, int err)
{
	/* Linux releases the number even when close fails (EINTR, EIO); only
	 * EBADF means there was nothing to close: then the entry goes back to
	 * what it was, unless another thread has recorded the number since. */
	if (err == EBADF && e) {
		uint32_t expected = FD_CLOSED;

		if (__atomic_compare_exchange_n(&e->state, &expected, st, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			__atomic_store_n(&e->aux, aux, __ATOMIC_RELAXED);
	}
	if (event_wanted(&shim_cfg, EVENTS_ERRORS)) {
		struct event ev = EVENT_INIT(SHIM_EV_CLOSE_ERROR, LOG_SEV_ERROR);

		if (err == EBADF && (st & FD_CLOSED)) {
			ev.name = SHIM_EV_DOUBLE_CLOSE;
			ev.first_close = aux;
		}
		ev.fd = fd;
		ev.fd_state = st;
		ev.err = err;
		event_emit(&ev);
	}
	errno = err;
	return -1;
}

/* Before the last close of a TCP socket this process made: will the kernel
 * answer the close with RST, and does the socket hold an error nobody read?
 * One syscall: a non-blocking peek that counts the unread bytes without
 * copying them (MSG_TRUNC), or, with none, returns the pending error.  That
 * consumes the error, which is fine: the socket is about to go. */
static void check_before_close(int fd, uint32_t st)
{
	int saved = errno;
	ssize_t unread = recv(fd, NULL, INT_MAX, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	int err = unread < 0 ? errno : 0;
	struct event ev = EVENT_INIT(SHIM_EV_CLOSE_RST, LOG_SEV_ERROR);

	ev.fd = fd;
	ev.fd_state = st;
	ev.addresses = true;
	if (unread > 0) {
		/* tcp_close(): unread data makes the close send RST */
		ev.reason = "unread_data";
		ev.unread = unread;
	} else if (err == ENOTCONN) {
		return; /* a listener, or never connected: no RST, no error */
	} else if (st & FD_LINGER_ZERO) {
		ev.reason = "linger_zero";
	} else if (err && err != EAGAIN && err != EWOULDBLOCK) {
		ev.name = SHIM_EV_CLOSE_PENDING_ERROR;
		ev.err = err;
	} else {
		errno = saved;
		return;
	}
	event_emit(&ev);
	errno = saved;
}

/* For linger_close: marks the number closed just before it is freed. */
struct closing {
	struct fd_entry *e;
};

static void mark_closing_cb(int fd, void *ctx)
{
	struct closing *c = ctx;

	(void)fd;
	c->e = mark_closing(c->e);
}

/* close() of a socket: it may linger (SOCKSHIM_GRACEFUL), and the facts
 * the log needs are gathered before the descriptor goes. */
static int close_socket(int fd, struct fd_entry *e, uint32_t st)
{
	uint32_t aux = e ? __atomic_load_n(&e->aux, __ATOMIC_RELAXED) : 0;
	struct closing c = {e};
	int ret;

	event_call(SHIM_EV_CLOSE, fd, st, true);
	if (linger_applies(st) && linger_close(fd, st, &ret, mark_closing_cb, &c))
		return ret == 0 ? 0 : close_failed(fd, c.e, st, aux, errno);
	if (event_wanted(&shim_cfg, EVENTS_ERRORS) &&
	    (st & (FD_TCP | FD_CREATED | FD_SHARED)) == (FD_TCP | FD_CREATED))
		check_before_close(fd, st); /* keeps errno */
	e = mark_closing(e);
	if (libc_close(fd) != 0)
		return close_failed(fd, e, st, aux, errno);
	if (!e)
		mark_closed_late(fd);
	return 0;
}

SHIM_EXPORT int close(int fd)
{
	struct fd_entry *e;
	uint32_t st, aux;

	if (shim_passthrough())
		return libc_close(fd);
	e = fdtab_lookup(fd);
	st = e ? __atomic_load_n(&e->state, __ATOMIC_RELAXED) : 0;
	if (__builtin_expect(st & FD_PRIVATE, 0)) {
		/* The shim's own number: move the shim's descriptor away, then
		 * let the close succeed as the program expects (a pinned one
		 * stays, and the close succeeds all the same). */
		if (privfd_evict(fd, false) == PRIVFD_PINNED)
			return 0;
		st = 0;
	}
	if ((st & FD_SOCKET) && shim_sockets_watched)
		return close_socket(fd, e, st);
	/* The hot path: no errno access, no syscall of the shim's own. */
	aux = e ? __atomic_load_n(&e->aux, __ATOMIC_RELAXED) : 0;
	mark_closing(e);
	if (__builtin_expect(libc_close(fd) != 0, 0))
		return close_failed(fd, e, st, aux, errno);
	if (__builtin_expect(!e, 0))
		mark_closed_late(fd);
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
		struct event ev = EVENT_INIT(ret == 0 ? SHIM_EV_SHUTDOWN
						      : SHIM_EV_SHUTDOWN_ERROR,
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
	if (!(st & FD_PRIVATE)) {
		fdtab_set_aux(fd, *(uint32_t *)ctx);
		fdtab_set(fd, FD_CLOSED);
	}
}

/* Runs op(lo, hi) on each part of [first, last] that holds none of the
 * shim's own numbers, so that the program's range operation never reaches
 * them.  Returns the first failure, or 0. */
static int split_range(unsigned first, unsigned last, int flags,
		       int (*op)(unsigned lo, unsigned hi, int flags), int *ran)
{
	int priv[PRIVFD_SLOTS];
	int n = privfd_numbers(priv, PRIVFD_SLOTS);
	unsigned lo = first;
	int ret = 0, err = 0;

#define RUN(a, b)                                              \
	do {                                                   \
		++*ran;                                        \
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

/* close_range(lo, hi, flags) on one part; before Linux 5.9 (ENOSYS), what
 * glibc's closefrom falls back to: each number in turn. */
static int range_close(unsigned lo, unsigned hi, int flags)
{
	struct rlimit rl;
	int saved = errno;

	if (libc_close_range(lo, hi, flags) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    hi >= rl.rlim_cur)
		hi = (unsigned)rl.rlim_cur - 1;
	for (unsigned long fd = lo; fd <= hi; fd++) {
		if (flags & CLOSE_RANGE_CLOEXEC)
			libc_fcntl((int)fd, F_SETFD, (void *)(long)FD_CLOEXEC);
		else
			libc_close((int)fd);
	}
	errno = saved;
	return 0;
}

static void note_range_closed(unsigned first, unsigned last, int flags)
{
	uint32_t id;

	if (flags & CLOSE_RANGE_CLOEXEC)
		return;
	id = remember_close(); /* one backtrace for every number it closed */
	fdtab_each((int)(first > 0x7fffffffU ? 0x7fffffffU : first),
		   (int)(last > 0x7fffffffU ? 0x7fffffffU : last),
		   ~(uint32_t)(FD_CLOSED | FD_PRIVATE), mark_closed, &id);
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	int ret, ran = 0;

	/* What the kernel refuses, it refuses the same without the split. */
	if (shim_passthrough() || first > last ||
	    (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)))
		return libc_close_range(first, last, flags);
	/* Recorded first, as for close(): numbers freed by the call may be
	 * taken by another thread at once. */
	note_range_closed(first, last, flags);
	ret = split_range(first, last, flags, range_close, &ran);
	/* Only the shim's numbers in the range: nothing ran, but the
	 * descriptor table must still be unshared, as asked. */
	if (ran == 0 && (flags & CLOSE_RANGE_UNSHARE))
		ret = unshare(CLONE_FILES);
	return ret;
}

static int range_closefrom(unsigned lo, unsigned hi, int flags)
{
	(void)flags;
	if (hi == ~0U) {
		libc_closefrom((int)lo);
		return 0;
	}
	return range_close(lo, hi, 0);
}

SHIM_EXPORT void closefrom(int lowfd)
{
	int saved, ran = 0;

	if (shim_passthrough() || lowfd < 0) {
		libc_closefrom(lowfd);
		return;
	}
	saved = errno;
	note_range_closed((unsigned)lowfd, ~0U, 0);
	split_range((unsigned)lowfd, ~0U, 0, range_closefrom, &ran);
	errno = saved;
}
