/* The close path (see close_path.h).
 *
 * close(fd):
 *   1. the shim's own numbers are refused as bare would refuse a number
 *      never opened (EBADF);
 *   2. the call's backtrace is taken once (call.h) and kept in the close
 *      history for a later double_close;
 *   3. the entry is claimed in one atomic exchange (fdend_claim): only the
 *      close that saw the socket acts on it;
 *   4. what the plan says: probe for a reset, or linger (linger_take);
 *   5. the real close (close_real), with the program's cancellation state;
 *   6. the verdict (fdend_finish) and its record. */
#define _GNU_SOURCE
#include "close_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <linux/close_range.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "call.h"
#include "close_history.h"
#include "config.h"
#include "event.h"
#include "fdend.h"
#include "libc.h"
#include "linger.h"
#include "sockshim.h"
#include "sys.h"

/* The one place where a number of the program's is really closed. */
static int close_real(int fd)
{
	return libc_close(fd);
}

/* Whether a close records where it happened, for a later double_close. */
static bool keeps_history(void)
{
	return event_wanted(&shim_cfg, EVENTS_ERRORS);
}

/* The close history id of this call's close: its innermost frames (the
 * rest of the backtrace is unwound only if a record wants it). */
__attribute__((noinline)) static uint32_t remember_close(struct call *c)
{
	void *const *bt;
	int n = call_backtrace_upto(c, CLOSE_HISTORY_DEPTH, &bt);

	return close_history_record(bt, n);
}

__attribute__((noinline)) static void report_failure(struct call *c, int fd, uint32_t st, enum fdend_verdict v, int err,
			   uint32_t first_id)
{
	struct event ev = EVENT_INIT(SHIM_EV_CLOSE_ERROR, LOG_SEV_ERROR);

	if (!event_wanted(&shim_cfg, EVENTS_ERRORS))
		return;
	if (v == FDEND_DOUBLE_CLOSE) {
		ev.name = SHIM_EV_DOUBLE_CLOSE;
		if (call_buffers(c)) { /* not on the stack: see call.h */
			ev.first_bt = c->scratch;
			ev.first_bt_n = close_history_get(first_id, c->scratch);
		}
		st = 0; /* what it was once does not describe it now */
	}
	ev.fd = fd;
	ev.fd_state = st;
	ev.err = err;
	event_emit(&ev);
}

/* Before the last close of a TCP socket this process made: will the kernel
 * answer the close with RST, and does the socket hold an error nobody read?
 * One syscall: a non-blocking peek that counts the unread bytes without
 * copying them (MSG_TRUNC), or, with none, returns the pending error.  That
 * consumes the error, which is fine: the socket is about to go. */
__attribute__((noinline)) static void probe_before_close(int fd, uint32_t st)
{
	ssize_t unread = sys_recv(fd, NULL, INT_MAX, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	int err = unread < 0 ? errno : 0;
	struct event ev = EVENT_INIT(SHIM_EV_CLOSE_RST, LOG_SEV_ERROR);

	ev.fd = fd;
	ev.fd_state = st;
	ev.addresses = true;
	if (unread > 0) {
		/* tcp_close(): unread data makes the close send RST */
		ev.reason = "unread_data";
		ev.unread = unread;
	} else if (err == ENOTCONN || err == ENOTSOCK || err == EBADF) {
		return; /* a listener, never connected, or not this socket any more */
	} else if (st & FD_LINGER_ZERO) {
		ev.reason = "linger_zero";
	} else if (err && err != EAGAIN && err != EWOULDBLOCK) {
		ev.name = SHIM_EV_CLOSE_PENDING_ERROR;
		ev.err = err;
	} else {
		return;
	}
	event_emit(&ev);
}

/* The program's close of a number it never opened as far as it can tell
 * (one of the shim's own): what bare close() does, a failure recorded like
 * any close of an unknown number. */
__attribute__((noinline, cold)) static int refuse(int fd)
{
	struct call c;

	if (event_wanted(&shim_cfg, EVENTS_ERRORS)) {
		call_enter(&c);
		report_failure(&c, fd, 0, FDEND_CLOSE_ERROR, EBADF, 0);
		call_leave(&c);
	}
	errno = EBADF;
	return -1;
}

/* Runs the real close with the program's cancellation state (it is a
 * cancellation point for the program, as bare), the call's buffers kept
 * (call_pause). */
static int close_in_call(struct call *c, int fd, bool committed)
{
	int ret, old;

	call_pause(c);
	if (!committed)
		return ret = close_real(fd), call_resume(c), ret;
	/* The socket was shut down and handed on: the close must happen now,
	 * not be left undone by a cancellation acting at its start (glibc acts
	 * before the system call); the caller acts on one afterwards. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	ret = close_real(fd);
	pthread_setcancelstate(old, &old);
	call_resume(c);
	return ret;
}

int close_path_close(int fd)
{
	uint32_t st = fdtab_get(fd), first_id;
	struct fdend end;
	struct call c;
	enum fdend_verdict v;
	int ret, err, saved = errno;
	bool committed = false;

	if (__builtin_expect(st & FD_PRIVATE, 0))
		return refuse(fd);
	if (!shim_cfg.sockets_watched && !keeps_history()) {
		/* Nothing to record or decide: the table kept true, no more. */
		st = fdend_claim(&end, fd, 0);
		if (__builtin_expect(st & FD_PRIVATE, 0)) {
			fdend_unclaim(&end);
			return refuse(fd);
		}
		ret = close_real(fd);
		if (__builtin_expect(ret != 0, 0)) {
			err = errno;
			fdend_finish(&end, ret, err, 0, &first_id);
			errno = err;
		} else if (__builtin_expect(!end.e, 0)) {
			fdend_finish(&end, 0, 0, 0, &first_id);
		}
		return ret;
	}
	/* A cancellation already pending acts here, before the shim has done
	 * anything, as it would at the start of glibc's close. */
	if (st & FD_SOCKET)
		pthread_testcancel();
	call_enter(&c);
	st = fdend_claim(&end, fd, keeps_history() ? remember_close(&c) : 0);
	if (st & FD_PRIVATE) {
		fdend_unclaim(&end);
		call_leave(&c);
		return refuse(fd);
	}
	if ((st & FD_SOCKET) && !(st & FD_CLOSED)) {
		enum fdend_plan plan = fdend_plan(st, &shim_cfg);

		event_call(SHIM_EV_CLOSE, fd, st, true);
		if (plan == FDEND_LINGER) {
			enum linger_outcome o = linger_take(fd, st, &c);

			committed = o == LINGER_DONE || o == LINGER_HANDED || o == LINGER_SKIPPED;
			if (o == LINGER_NOT_CONNECTED &&
			    (st & (FD_CREATED | FD_SHARED)) == FD_CREATED &&
			    event_wanted(&shim_cfg, EVENTS_ERRORS))
				probe_before_close(fd, st);
		} else if (plan == FDEND_PROBE) {
			probe_before_close(fd, st);
		}
	}
	/* The close's errno is the real close's alone: a success leaves the
	 * program's as it was. */
	errno = saved;
	ret = close_in_call(&c, fd, committed);
	err = errno;
	if (__builtin_expect(ret != 0 || !end.e, 0)) {
		v = fdend_finish(&end, ret, err,
				 ret != 0 && err == EBADF && keeps_history() ? close_history_next_id()
									    : 0,
				 &first_id);
		if (v != FDEND_OK)
			report_failure(&c, fd, st, v, err, first_id);
	}
	call_leave(&c);
	if (committed)
		pthread_testcancel(); /* one that came meanwhile acts now */
	errno = err;
	return ret;
}

/* ---- ranges ------------------------------------------------------------ */

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
			close_real((int)fd);
	}
	errno = saved;
	return 0;
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

/* Runs op on each part of [first, last] that holds none of the shim's own
 * numbers, so that the program's range operation never reaches them. */
struct split {
	unsigned lo, last;
	int flags;
	int (*op)(unsigned lo, unsigned hi, int flags);
	int ran, ret, err;
	bool done; /* a private number was the range's last */
};

static void split_run(struct split *s, unsigned lo, unsigned hi)
{
	s->ran++;
	if (s->op(lo, hi, s->flags) != 0 && s->ret == 0) {
		s->ret = -1;
		s->err = errno;
	}
}

static bool split_at(int fd, uint32_t st, void *ctx)
{
	struct split *s = ctx;
	unsigned p = (unsigned)fd;

	(void)st;
	if (p > s->lo)
		split_run(s, s->lo, p - 1);
	if (p == s->last) {
		s->done = true;
		return false;
	}
	s->lo = p + 1;
	return true;
}

static int split_range(unsigned first, unsigned last, int flags,
		       int (*op)(unsigned lo, unsigned hi, int flags), int *ran)
{
	struct split s = {first, last, flags, op, 0, 0, 0, false};
	int hi = last > INT_MAX ? INT_MAX : (int)last;

	if (first <= INT_MAX)
		fdtab_each((int)first, hi, FD_PRIVATE, split_at, &s);
	if (!s.done)
		split_run(&s, s.lo, s.last);
	*ran = s.ran;
	if (s.ret != 0)
		errno = s.err;
	return s.ret;
}

static void note_range_closed(unsigned first, unsigned last, int flags)
{
	struct call c;
	uint32_t id = 0;

	if (flags & CLOSE_RANGE_CLOEXEC)
		return;
	call_enter(&c);
	if (keeps_history())
		id = remember_close(&c); /* one backtrace for every number it closed */
	call_leave(&c);
	fdend_range((int)(first > INT_MAX ? INT_MAX : first), (int)(last > INT_MAX ? INT_MAX : last),
		    id);
}

int close_path_close_range(unsigned int first, unsigned int last, int flags)
{
	int ret, ran = 0;

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

void close_path_closefrom(int lowfd)
{
	int saved = errno, ran = 0;

	note_range_closed((unsigned)lowfd, ~0U, 0);
	split_range((unsigned)lowfd, ~0U, 0, range_closefrom, &ran);
	errno = saved;
}
