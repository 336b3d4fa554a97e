/* The close path (see close_path.h).
 *
 * close(fd):
 *   1. the shim's own numbers are refused as bare would refuse a number
 *      never opened (EBADF);
 *   2. the call's backtrace is taken once (call.h) and kept in the close
 *      history for a later double_close;
 *   3. the entry is claimed in one atomic exchange (fdend_claim): only the
 *      close that saw the socket acts on it;
 *   4. what the plan says: probe for a reset, or linger (linger_take); for
 *      a socket with other holders, a reset is confirmed with the kernel
 *      after the close (lastref.h);
 *   5. the real close (close_real), with the program's cancellation state
 *      (syscall(SYS_close): never a cancellation point; fclose: the
 *      stream's close);
 *   6. the verdict (fdend_finish) and its record.
 * A socket can also end without a close of its number: a dup2() onto it
 * (close_path_before_takeover) and exit() (close_path_at_exit). */
#define _GNU_SOURCE
#include "close_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <linux/close_range.h>
#include <sched.h>
#include <stdio.h>
#include <sys/single_threaded.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "call.h"
#include "close_history.h"
#include "coldmem.h"
#include "config.h"
#include "event.h"
#include "fdend.h"
#include "holders.h"
#include "libc.h"
#include "lastref.h"
#include "linger.h"
#include "proc.h"
#include "sharecount.h"
#include "sockshim.h"
#include "sys.h"

/* The one place where a number of the program's is really closed: by
 * libc's close(), or as the runtime that ended it does (how). */
static int close_real(int fd, const struct close_how *how)
{
	if (how)
		return how->real(fd, how->ctx);
	return libc_close(fd);
}

/* syscall(SYS_close, fd): the system call itself, which is not a
 * cancellation point (libuv closes so to avoid glibc's close(), which is).
 * Through the next syscall() in line, as the program asked. */
static int close_raw(int fd, void *ctx)
{
	(void)ctx;
	return (int)libc_syscall(SYS_close, fd, 0, 0, 0, 0, 0);
}

static const struct close_how how_nocancel = {close_raw, NULL, true, false};

/* Whether a close records where it happened, for a later double_close. */
static bool keeps_history(void)
{
	return event_wanted(&shim_cfg, EVENTS_ERRORS);
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
			ev.first_bt = call_scratch(c);
			ev.first_bt_n = close_history_get(first_id, call_scratch(c));
		}
		st = 0; /* what it was once does not describe it now */
	}
	ev.fd = fd;
	ev.fd_state = st;
	ev.err = err;
	event_emit(&ev);
}

/* Whether the protocol is done with TCP socket fd (TCP_CLOSE): reset by
 * the peer, or gone to TIME_WAIT (the peer's FIN after ours: the socket
 * the program holds is then a closed shell).  tcp_close() sends nothing
 * for such a socket, unread data or SO_LINGER {1, 0} notwithstanding.
 * Asked only on the rare path where the close would otherwise reset.
 * tcpi_state is the first byte of struct tcp_info, and the kernel copies
 * only as much as asked: one byte, in a frame of its own (this may run on
 * a handler's small stack, under the record's frames). */
__attribute__((noinline)) static int tcp_state(int fd)
{
	unsigned char state = 0;
	socklen_t len = sizeof state;

	return sys_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &state, &len) == 0 && len == 1 ? state
										       : -1;
}

static bool tcp_already_closed(int fd)
{
	return tcp_state(fd) == TCP_CLOSE;
}

/* The close of TCP socket fd, which the protocol is done with (reset by
 * the peer: TCP_CLOSE), sends nothing; but an error the program never
 * read may still be held: err if the peek took it already, else (0) in
 * SO_ERROR, which bytes still unread keep a peek from returning (a reset
 * connection with an answer half read, regress_pending_error_unread_data).
 * *ev (fd, state, addresses set) becomes its record. */
static void pending_error_of_closed(int fd, struct event *ev, int err)
{
	socklen_t len = sizeof err;

	if (err == 0 && sys_getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		return;
	/* (none: a TIME_WAIT shell, our FIN and then the peer's; EPIPE: a
	 * reset after the peer's FIN, which reads never return, only EOF:
	 * the program wrote after the peer had closed, and bare no peek
	 * said more, regress_pending_error_unread_data) */
	if (err == 0 || err == EAGAIN || err == EWOULDBLOCK || err == EPIPE)
		return;
	ev->name = SHIM_EV_CLOSE_PENDING_ERROR;
	ev->err = err;
	event_emit(ev);
}

/* What probe_before_close found: no reset, a reset (recorded), a reset
 * whose record is held until the close (held_settle), or (a positive
 * count of unread bytes) one only the kernel can tell after the close. */
enum { PROBE_NO_RESET = 0, PROBE_RESET = -1, PROBE_RESET_HELD = -2 };

/* A close_rst decided before the close and written after it (event_hold):
 * the peer's own reset, arriving between the probe and the close, makes
 * the kernel send none (tcp_close() of a socket already in TCP_CLOSE), and
 * a record written before the close then claimed a reset that never was
 * (a protected-mode redis answering and closing while its clients reset:
 * 217 records for 32 resets, regress_close_rst_peer_reset_first).  In the
 * call's buffers: the close path may run on a small signal stack. */
struct held_rst {
	struct event ev;
	struct event_addresses addr;
	pid_t pid; /* the process that holds it (held_release) */
};

static struct held_rst *held_record(struct call *c)
{
	_Static_assert(sizeof(struct held_rst) <= CALL_PENDING, "call.h's CALL_PENDING");
	return call_buffers(c) ? call_pending(c) : NULL;
}

/* Before the last close of a TCP socket this process made: will the kernel
 * answer the close with RST, and does the socket hold an error nobody
 * read?  One syscall: a non-blocking peek that counts the unread bytes
 * without copying them (MSG_TRUNC), or, with none, returns the pending
 * error.  That consumes the error, which is fine: the socket is about to
 * go.  A socket whose side the program has shut down (FIN_WAIT1, FIN_WAIT2,
 * CLOSING), with bytes unread: the peer's FIN may still come before the
 * close, which then sends nothing (TIME_WAIT); where the caller can
 * (settle), the unread bytes are returned and the kernel asked after the
 * close, as for a shared socket (regress_close_rst_fin_race). */
__attribute__((noinline)) static int probe_before_close(int fd, uint32_t st, bool settle,
							struct call *hold)
{
	ssize_t unread = sys_recv(fd, NULL, INT_MAX, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	int err = unread < 0 ? errno : 0;
	struct event ev = EVENT_INIT(SHIM_EV_CLOSE_RST, LOG_SEV_ERROR);
	/* A record held till the close has the socket's state looked at
	 * right before it (held_settle), once: not here too. */
	struct held_rst *h = hold ? held_record(hold) : NULL;

	ev.fd = fd;
	ev.fd_state = st;
	ev.addresses = true;
	if (unread > 0) {
		/* tcp_close(): unread data makes the close send RST */
		int state = h ? TCP_ESTABLISHED : tcp_state(fd);

		if (state == TCP_CLOSE) {
			pending_error_of_closed(fd, &ev, 0);
			return PROBE_NO_RESET;
		}
		if (settle && (state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 ||
			       state == TCP_CLOSING))
			return unread > INT_MAX ? INT_MAX : (int)unread;
		ev.reason = "unread_data";
		ev.unread = unread;
	} else if (err == ENOTCONN || err == ENOTSOCK || err == EBADF) {
		return PROBE_NO_RESET; /* a listener, never connected, or not this socket */
	} else if (st & FD_LINGER_ZERO) {
		/* (an error the peek took: the socket is most likely reset
		 * already, and the error is reported here or never) */
		bool took = err && err != EAGAIN && err != EWOULDBLOCK;

		if ((!h || took) && tcp_already_closed(fd)) {
			pending_error_of_closed(fd, &ev, err);
			return PROBE_NO_RESET;
		}
		ev.reason = "linger_zero";
	} else if (err && err != EAGAIN && err != EWOULDBLOCK) {
		ev.name = SHIM_EV_CLOSE_PENDING_ERROR;
		ev.err = err;
		event_emit(&ev);
		return PROBE_NO_RESET;
	} else {
		return PROBE_NO_RESET;
	}
	if (h) {
		h->ev = ev;
		h->pid = proc_pid;
		if (event_hold(&h->ev, &h->addr))
			return PROBE_RESET_HELD;
		/* (made at once, where no state was looked at: a rare
		 * record too many, never one too few) */
		return PROBE_RESET;
	}
	event_emit(&ev);
	return PROBE_RESET;
}

/* A held close_rst settled: written if the close it is about happened, or
 * taken back.  In a process forked meanwhile (by a signal handler that
 * ran inside this close) the copy is given up without a word: the process
 * that held it settles it, and both wrote it (2 records for 1 reset, the
 * review of 5bc39b5). */
static void held_release(struct call *c, bool happened)
{
	struct held_rst *h = held_record(c);

	if (proc_pid != h->pid) /* (kept current by the fork handlers) */
		event_forget(&h->ev);
	else
		event_release(&h->ev, happened);
}

/* The pending error of a socket whose held close_rst was taken back (a
 * frame of its own, entered only then: the close path's may sit on a
 * handler's small stack) */
__attribute__((noinline)) static void held_pending_error(int fd, uint32_t st)
{
	struct event ev = EVENT_INIT(SHIM_EV_CLOSE_PENDING_ERROR, LOG_SEV_ERROR);

	ev.fd = fd;
	ev.fd_state = st;
	ev.addresses = true;
	pending_error_of_closed(fd, &ev, 0);
}

/* Right before the close that a held close_rst is about, the socket's
 * state, once for both questions: whether the peer's own reset came first
 * (TCP_CLOSE: the close sends nothing, and the record is taken back), or
 * whether the program shut its side down with bytes unread (FIN_WAIT1,
 * FIN_WAIT2, CLOSING: the peer's FIN may yet come before the close, which
 * then sends nothing; the kernel is asked after the close, as for a
 * shared socket, *shared_unread, regress_close_rst_fin_race).  True if
 * the record is still held.  (What arrives between this look and the
 * close itself still goes unseen: a window of one system call, where it
 * was the record's making and writing.) */
static bool held_settle(int fd, struct call *c, int *shared_unread)
{
	struct held_rst *h = held_record(c);
	int state = tcp_state(fd);

	if (state == TCP_CLOSE) {
		uint32_t st = h->ev.fd_state;

		held_release(c, false);
		held_pending_error(fd, st);
		return false;
	}
	if (h->ev.unread > 0 &&
	    (state == TCP_FIN_WAIT1 || state == TCP_FIN_WAIT2 || state == TCP_CLOSING)) {
		*shared_unread = h->ev.unread > INT_MAX ? INT_MAX : (int)h->ev.unread;
		held_release(c, false);
		return false;
	}
	return true;
}

/* A reset that a close of a socket with other holders makes only if it
 * is the last reference: known after the close (lastref.h). */
struct pending_rst {
	bool armed;
	int unread;   /* as shared_resets says */
	int question; /* lastref_ask's (-1: none) */
	struct lastref_id id;
	struct event_sockaddrs addr; /* id's, for the record */
	struct event ev;	     /* the record, made here */
};

/* Before the close of TCP socket fd, which may have other holders: would
 * the close reset, were it the last reference?  The unread bytes are
 * counted with SIOCINQ, not a peek: a peek would consume a pending error
 * that another holder has still to read.  Returns the unread bytes, -1
 * for SO_LINGER {1, 0} with none, 0: no reset. */
SHIM_FORK_TEXT __attribute__((noinline)) static int shared_resets(int fd, uint32_t st)
{
	int unread = 0;

	if (SYS6(SYS_ioctl, fd, SIOCINQ, &unread, 0, 0, 0) != 0)
		return 0; /* a listener (EINVAL), not this socket any more */
	if (unread <= 0 && !(st & FD_LINGER_ZERO))
		return 0;
	if (tcp_already_closed(fd))
		return 0;
	return unread > 0 ? unread : -1;
}

/* What the kernel's answer after the close needs, for a close that
 * shared_resets said (unread) would reset were it the last: the socket's
 * identity (p armed).  The addresses of the record come from it, only if
 * the record is written.  The unread bytes are counted again as the last
 * step before the close: another holder may have read them meanwhile (a
 * forking server's child does, right after the fork), and then a last
 * close sends a FIN, not a reset (regress_shared_read_during_close).  Only
 * on the rare path: the frame is large, and the call's may sit on a small
 * signal stack. */
SHIM_FORK_TEXT __attribute__((noinline)) static void probe_shared(int fd, uint32_t st, int unread,
						   struct pending_rst *p)
{
	int saved = errno; /* (a call here that fails is the shim's, not the close's:
			      regress_shared_close_errno) */

	p->armed = false;
	p->question = -1;
	if (unread != 0 && lastref_identify(fd, &p->id)) {
		/* Asked before the last count: a holder that reads the bytes
		 * after it, and closes, answers (lastref.h; for unread bytes
		 * only: SO_LINGER {1, 0} resets whoever is last). */
		if (unread > 0)
			p->question = lastref_ask(fd, p->id.cookie);
		if (unread < 0 || (unread = shared_resets(fd, st)) != 0) {
			/* (an answer before this count is not one) */
			lastref_reopen(p->question);
			p->unread = unread;
			p->addr =
				(struct event_sockaddrs){&p->id.local.sa, &p->id.peer.sa, p->id.len};
			p->armed = true;
		} else {
			lastref_retire(p->question);
		}
	}
	errno = saved;
}

/* After the close that probe_shared armed p for: the record, if the
 * socket is gone (that close was its last reference, and reset it), and
 * this holder is the first to claim it.  The record is made in a frame of
 * its own: this may run on a small signal stack. */
__attribute__((noinline)) static void report_shared(int fd, uint32_t st, struct pending_rst *p)
{
	p->ev = (struct event)EVENT_INIT(SHIM_EV_CLOSE_RST, LOG_SEV_ERROR);
	p->ev.fd = fd;
	p->ev.fd_state = st;
	p->ev.given_sockaddrs = &p->addr;
	p->ev.reason = p->unread > 0 ? "unread_data" : "linger_zero";
	p->ev.unread = p->unread > 0 ? p->unread : -1;
	event_emit(&p->ev);
}

static void settle_shared(int fd, uint32_t st, struct pending_rst *p)
{
	int alive = lastref_alive(&p->id);
	/* (gone, after another holder read the bytes and closed last:
	 * regress_shared_read_after_close) */
	bool clean_elsewhere = alive == 0 && lastref_answered_clean(p->question);

	lastref_retire(p->question);
	if (alive != 0 || clean_elsewhere)
		return; /* held elsewhere, or the kernel could not be asked */
	if (!lastref_claim(p->id.cookie))
		return; /* another holder, closing at the same moment, reports it */
	report_shared(fd, st, p);
}

/* An armed probe whose close did not happen: its question taken back. */
static void unarm_shared(struct pending_rst *p)
{
	if (p->armed)
		lastref_retire(p->question);
}

/* The state the plan reads: a socket shared by fork whose count says this
 * number holds the tree's last reference is the last one (sharecount.h). */
static uint32_t as_counted(int fd, uint32_t st)
{
	if ((st & (FD_SHARED | FD_COUNTED)) == (FD_SHARED | FD_COUNTED) && sharecount_last(fd, st))
		return st & ~FD_SHARED;
	return st;
}

/* Under SOCKSHIM_GRACEFUL=1, the close of a socket whose other holders
 * the shim could not follow (passed through exec, as sshd's and inetd's
 * are, or in SCM_RIGHTS; or pinned in its fork tree's count), which would
 * reset were it the last: whether it is after all, as /proc says (no
 * descriptor anywhere else names the socket).  Only where there is room
 * for the scan (not on a small signal stack): its own frame, off the
 * common path. */
__attribute__((noinline)) static bool last_after_all(int fd, struct call *c)
{
	struct stat sb;

	if (call_tight(c) || sys_fstat(fd, &sb) != 0)
		return false;
	return holders_beyond(fd, (uint64_t)sb.st_ino) == HOLDERS_NONE;
}

/* What the plan says for the last close of socket fd (state st), before
 * the descriptor goes: probe for a reset, or linger.  True if the socket
 * was shut down and handed on (the close must then happen).
 * *shared_unread: the socket has other holders and its close would reset
 * if it were the last reference, or its peer's FIN may yet come first,
 * which only the kernel can say after the close (close_settling); the
 * unread bytes, 0: no.  settle: the caller asks the kernel after the
 * close (a dup2 onto the socket, which closes it within the call, does
 * not: a probe decides before, as it did).  Inlined: a
 * frame of its own would sit between
 * the close and the probe or the linger, on a handler's small alternate
 * stack too (regress_altstack_close). */
static inline __attribute__((always_inline)) bool act_before_close(int fd, uint32_t st,
								   struct call *c,
								   int *shared_unread, bool settle,
								   bool *held)
{
	enum fdend_plan plan = fdend_plan(st, &shim_cfg);

	*shared_unread = 0;
	if (plan == FDEND_LINGER) {
		enum linger_outcome o = linger_take(fd, st, c);
		bool lingered = o == LINGER_DONE || o == LINGER_HANDED || o == LINGER_SKIPPED;

		if (o == LINGER_NOT_CONNECTED && (st & (FD_CREATED | FD_SHARED)) == FD_CREATED &&
		    event_wanted(&shim_cfg, EVENTS_ERRORS))
			probe_before_close(fd, st, false, NULL);
		/* Another holder may be asking (lastref.h): lingered, nothing
		 * is left unread.  (Whatever st says of other holders: one the
		 * fork tree's count has let go of, which asked before, reads as
		 * none here.) */
		if (lingered)
			lastref_closing_clean(fd);
		return lingered;
	}
	if (plan == FDEND_PROBE) {
		/* (a close that follows at once holds its record till then) */
		int found = probe_before_close(fd, st, settle, settle && held ? c : NULL);

		if (found > 0)
			*shared_unread = found; /* the kernel says, after the close */
		else if (found == PROBE_NO_RESET)
			lastref_closing_clean(fd); /* (as above: no reset here) */
		else if (found == PROBE_RESET_HELD)
			*held = true;
	} else if (plan == FDEND_PROBE_SHARED) {
		*shared_unread = shared_resets(fd, st);
		/* (a count that follows every holder is not second-guessed:
		 * a scan would only hold this close back while another
		 * holder's close, deciding the same, races it to the last) */
		/* (not one this process passed in SCM_RIGHTS: in flight, the
		 * copy is in no table /proc lists, and the receiver would get
		 * a connection shut down and drained:
		 * regress_passed_socket) */
		if (*shared_unread != 0 && shim_cfg.graceful == GRACEFUL_ON &&
		    !(st & FD_PASSED) && !sharecount_followed(fd, st) && last_after_all(fd, c)) {
			enum linger_outcome o = linger_take(fd, st, c);

			if (o == LINGER_DONE || o == LINGER_HANDED || o == LINGER_SKIPPED) {
				*shared_unread = 0;
				lastref_closing_clean(fd);
				return true;
			}
		}
		/* Nothing that would reset: a holder that asks whether its own
		 * close was the last gets its answer (lastref.h) */
		if (*shared_unread == 0)
			lastref_closing_clean(fd);
	}
	return false;
}

/* The program's close of a number it never opened (one of the shim's
 * own): what bare close() does with such a number, EBADF, and no record.
 * A program that closes every number /proc/self/fd lists (dnsmasq, glib,
 * daemons) found the shim's there and was written a close_error at every
 * start for a close it had every reason to make
 * (regress_private_close_no_record); one that closes numbers blindly gets
 * records for the others it never had. */
__attribute__((noinline, cold)) static int refuse(void)
{
	errno = EBADF;
	return -1;
}

/* Runs the real close with the program's cancellation state (it is a
 * cancellation point for the program, as bare), the call's buffers kept
 * (call_pause). */
SHIM_FORK_TEXT
static int close_in_call(struct call *c, int fd, bool committed, const struct close_how *how)
{
	int ret, old;

	call_pause(c);
	if (!committed || (how && how->nocancel))
		return ret = close_real(fd, how), call_resume(c), ret;
	/* The socket was shut down and handed on: the close must happen now,
	 * not be left undone by a cancellation acting at its start (glibc acts
	 * before the system call); the caller acts on one afterwards. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	ret = close_real(fd, how);
	pthread_setcancelstate(old, &old);
	call_resume(c);
	return ret;
}

/* The real close of a socket with other holders that would reset were
 * this its last reference: the close_rst record if the kernel says,
 * afterwards, that it was.  p: where the question and the record are
 * kept (NULL: nowhere, no record). */
static int settling_close(struct call *c, int fd, uint32_t st, int unread, bool committed,
			  const struct close_how *how, struct pending_rst *p)
{
	int ret, err;

	if (p)
		probe_shared(fd, st, unread, p);
	/* An armed probe's close is not left undone by a cancellation (glibc
	 * acts at its start): the question it asked would be left open for
	 * the whole fork tree, unwound past its retire. */
	ret = close_in_call(c, fd, committed || (p && p->armed), how);
	err = errno;
	if (ret == 0 && p && p->armed)
		settle_shared(fd, st, p);
	else if (p)
		unarm_shared(p);
	errno = err;
	return ret;
}

/* (a frame of its own: its room on the stack only where the stack is not
 * a handler's small alternate one) */
__attribute__((noinline)) static int settling_close_on_stack(struct call *c, int fd,
							     uint32_t st, int unread,
							     bool committed,
							     const struct close_how *how)
{
	struct pending_rst p;

	return settling_close(c, fd, st, unread, committed, how, &p);
}

/* Off the common path.  In the call's buffers only where the stack is
 * small: claiming a set writes its flag's page and the set's, two
 * copy-on-write faults at every connection of a forking server, whose
 * parent closes its copy of each connection while the child it forked
 * for it still shares those pages (regress_fork_server_parent_close_faults). */
__attribute__((noinline)) static int close_settling(struct call *c, int fd, uint32_t st,
						    int unread, bool committed,
						    const struct close_how *how)
{
	_Static_assert(sizeof(struct pending_rst) <= CALL_PENDING, "call.h's CALL_PENDING");
	if (!call_tight_recheck(c))
		return settling_close_on_stack(c, fd, st, unread, committed, how);
	return settling_close(c, fd, st, unread, committed, how,
			      call_buffers(c) ? call_pending(c) : NULL);
}

/* The result of a stream's close (how->stream) as the table reads it: only
 * EBADF says that the number was not open; any other failure is the
 * flush's, and the number is gone all the same. */
static int table_ret(int ret, int err, const struct close_how *how)
{
	return how && how->stream && ret != 0 && err != EBADF ? 0 : ret;
}

SHIM_FORK_TEXT static int close_path_end_at(int fd, const struct close_how *how, const void *site)
{
	bool nocancel = how && how->nocancel;
	uint32_t st, first_id;
	struct fdend end;
	struct call c;
	enum fdend_verdict v;
	int ret, err, saved;
	bool committed = false, held = false;
	int shared_unread = 0;

	if (shim_cfg.closes_untracked)
		return close_real(fd, how);
	saved = errno;
	st = fdtab_get(fd);
	if (__builtin_expect(st & FD_PRIVATE, 0))
		return refuse();
	if (!shim_cfg.sockets_watched && !keeps_history()) {
		/* Nothing to record or decide: the table kept true, no more. */
		st = fdend_claim(&end, fd, 0);
		if (__builtin_expect(st & FD_PRIVATE, 0)) {
			fdend_unclaim(&end);
			return refuse();
		}
		ret = close_real(fd, how);
		if (__builtin_expect(ret != 0, 0)) {
			err = errno;
			fdend_finish(&end, table_ret(ret, err, how), err, 0, &first_id);
			errno = err;
		} else if (__builtin_expect(!end.e, 0)) {
			fdend_finish(&end, 0, 0, 0, &first_id);
		}
		return ret;
	}
	/* A cancellation already pending acts here, before the shim has done
	 * anything, as it would at the start of glibc's close. */
	if ((st & FD_SOCKET) && !nocancel)
		pthread_testcancel();
	call_enter(&c);
	call_at_site(&c, site);
	call_note_closing(&c, fd); /* (before the claim makes it look closed) */
	st = fdend_claim(&end, fd, keeps_history() ? call_backtrace_to_history(&c) : 0);
	if (st & FD_PRIVATE) {
		fdend_unclaim(&end);
		call_leave(&c);
		return refuse();
	}
	if ((st & FD_SOCKET) && !(st & FD_CLOSED)) {
		event_call(SHIM_EV_CLOSE, fd, st, true);
		committed = act_before_close(fd, as_counted(fd, st), &c, &shared_unread, true, &held);
		/* This number's reference is taken from the tree's count now,
		 * while the cookie is surely its (once closed, the number may
		 * be another socket's): another holder may then find itself
		 * the last a moment before this close is done, which changes
		 * nothing for a socket this process is closing. */
		if (st & FD_COUNTED)
			sharecount_release(fdtab_cookie(fd));
	}
	if (__builtin_expect(held, 0))
		held = held_settle(fd, &c, &shared_unread);
	/* (a held record is the close's to settle: the close is not left
	 * undone by a cancellation that acts at its start, which would leave
	 * the record for ever; one that came meanwhile acts after it) */
	committed = committed || held;
	/* The close's errno is the real close's alone: a success leaves the
	 * program's as it was. */
	errno = saved;
	if (__builtin_expect(shared_unread != 0, 0))
		ret = close_settling(&c, fd, st, shared_unread, committed, how);
	else
		ret = close_in_call(&c, fd, committed, how);
	err = errno;
	/* (a close that failed, EBADF: another thread's close of the number
	 * came first, and the reset was that close's) */
	if (__builtin_expect(held, 0))
		held_release(&c, ret == 0 || err != EBADF);
	if (__builtin_expect(ret != 0 || !end.e, 0)) {
		v = fdend_finish(&end, table_ret(ret, err, how), err,
				 ret != 0 && err == EBADF && keeps_history() ? close_history_next_id()
									    : 0,
				 &first_id);
		if (v != FDEND_OK)
			report_failure(&c, fd, st, v, err, first_id);
	}
	call_leave(&c);
	if (committed && !nocancel)
		pthread_testcancel(); /* one that came meanwhile acts now */
	errno = err;
	return ret;
}

int close_path_end(int fd, const struct close_how *how)
{
	return close_path_end_at(fd, how, NULL);
}

SHIM_FORK_TEXT int close_path_close(int fd, const void *site)
{
	if (shim_cfg.closes_untracked) /* (no call of close_path_end's size) */
		return libc_close(fd);
	return close_path_end_at(fd, NULL, site);
}

int close_path_close_nocancel(int fd)
{
	if (shim_cfg.closes_untracked)
		return close_raw(fd, NULL);
	return close_path_end(fd, &how_nocancel);
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
			close_real((int)fd, NULL);
	}
	errno = saved;
	return 0;
}

/* syscall(SYS_close_range, ...): the system call as it is, without the
 * fallback (the program asked the kernel, and gets the kernel's answer). */
static int range_close_syscall(unsigned lo, unsigned hi, int flags)
{
	return (int)libc_syscall(SYS_close_range, lo, hi, flags, 0, 0, 0);
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

/* A socket of the program's that a range is about to close ends as a
 * close() of its number would end it: the record at events=all, the probe
 * for a reset or the lingering, decided before the call (which closes it
 * with the rest), as for a dup2 onto it.  Its entry is claimed first: a
 * close() of the same number by another thread acts on it once. */
struct range_end {
	struct call *c;
	uint32_t id;
};

static bool end_in_range(int fd, uint32_t st, void *ctx)
{
	struct range_end *r = ctx;
	uint64_t cookie = fdtab_cookie(fd);
	struct fdend end;
	int shared_unread;

	if (st & (FD_CLOSED | FD_PRIVATE))
		return true;
	st = fdend_claim(&end, fd, r->id);
	if (st & FD_PRIVATE) { /* (the shim's own, moved here meanwhile) */
		fdend_unclaim(&end);
		return true;
	}
	if (!(st & FD_SOCKET) || (st & FD_CLOSED))
		return true;
	event_call(SHIM_EV_CLOSE, fd, st, true);
	act_before_close(fd, as_counted(fd, st), r->c, &shared_unread, false, NULL);
	if (st & FD_COUNTED)
		sharecount_release(cookie);
	return true;
}

/* closes: the call will close the range (range_will_close); if not, the
 * table is left as it is (a refused range closes nothing: the numbers
 * marked closed had their close() unlooked at after).  errno is the
 * program's after. */
static void note_range_closed(unsigned first, unsigned last, int flags, bool closes)
{
	struct call c;
	uint32_t id = 0;
	int lo = (int)(first > INT_MAX ? INT_MAX : first), hi = (int)(last > INT_MAX ? INT_MAX : last);
	int saved = errno;

	if ((flags & CLOSE_RANGE_CLOEXEC) || !closes)
		return;
	call_enter(&c);
	if (keeps_history())
		id = call_backtrace_to_history(&c); /* one backtrace for every number it closed */
	/* (before a range ended sockets unseen: a connection with bytes
	 * unread reset its client without a record, and was never lingered
	 * on; regress_close_range_ends_sockets) */
	if (shim_cfg.sockets_watched && !shim_cfg.closes_untracked) {
		struct range_end r = {&c, id};

		fdtab_each(lo, hi, FD_SOCKET, end_in_range, &r);
	}
	call_leave(&c);
	fdend_range(lo, hi, id);
	errno = saved; /* (a probe's EAGAIN was left for the program's success) */
}

/* Whether the range call about to run will close the numbers it names, so
 * that its sockets may be ended before it (their probe and lingering
 * cannot come after): not when another thread shares the descriptor table
 * that CLOSE_RANGE_UNSHARE leaves (the range closes this thread's copy,
 * the sockets stay the process's), nor when the call is refused (a
 * seccomp filter's EPERM, an old kernel's ENOSYS: asked first, with a
 * range of no number), but for glibc's close_range, which falls back to
 * closing each number on ENOSYS.  Before, such a range's sockets were
 * shut down and drained under graceful, and a false close_rst written,
 * while they stayed the program's (regress_close_range_not_ended). */
static bool range_will_close(int flags, int (*op)(unsigned lo, unsigned hi, int flags))
{
	int saved = errno;
	bool yes;

	if ((flags & CLOSE_RANGE_UNSHARE) && !__libc_single_threaded)
		return false;
	yes = SYS6(SYS_close_range, ~0U, ~0U, 0, 0, 0, 0) == 0 ||
	      (errno == ENOSYS && op == range_close);
	errno = saved;
	return yes;
}

static int close_range_with(unsigned int first, unsigned int last, int flags,
			    int (*op)(unsigned lo, unsigned hi, int flags))
{
	int ret, ran = 0;

	/* Recorded first, as for close(): numbers freed by the call may be
	 * taken by another thread at once. */
	note_range_closed(first, last, flags, range_will_close(flags, op));
	ret = split_range(first, last, flags, op, &ran);
	/* Only the shim's numbers in the range: nothing ran, but the
	 * descriptor table must still be unshared, as asked. */
	if (ran == 0 && (flags & CLOSE_RANGE_UNSHARE))
		ret = unshare(CLONE_FILES);
	return ret;
}

int close_path_close_range(unsigned int first, unsigned int last, int flags)
{
	return close_range_with(first, last, flags, range_close);
}

int close_path_close_range_syscall(unsigned int first, unsigned int last, int flags)
{
	return close_range_with(first, last, flags, range_close_syscall);
}

void close_path_closefrom(int lowfd)
{
	int saved = errno, ran = 0;

	/* (glibc's closefrom closes every number, by its fallback if the
	 * call is refused) */
	note_range_closed((unsigned)lowfd, ~0U, 0, true);
	split_range((unsigned)lowfd, ~0U, 0, range_closefrom, &ran);
	errno = saved;
}

/* ---- a socket ended without a close of its number ---------------------- */

void close_path_before_takeover(int fd)
{
	uint32_t st = fdtab_get(fd);
	int shared_unread;
	struct call c;
	int saved = errno;

	if (!(st & FD_SOCKET) || (st & (FD_CLOSED | FD_PRIVATE)) || !shim_cfg.sockets_watched)
		return;
	call_enter(&c);
	event_call(SHIM_EV_CLOSE, fd, st, true);
	act_before_close(fd, st, &c, &shared_unread, false, NULL);
	/* (a takeover of a socket with other holders is not followed: the
	 * number is the program's again at once) */
	call_leave(&c);
	errno = saved;
}

/* ---- exit ------------------------------------------------------------------ */

/* At exit(), TCP sockets still open are closed by the kernel when the
 * process goes: a forking server's child (a PostgreSQL backend answering
 * FATAL) resets its client there as surely as with close(). */
struct at_exit {
	struct call *c;
	bool flushed;
	bool single_threaded;
};

/* A socket with other holders that would reset at exit were this process
 * its last holder: whether it is, only the kernel can say, after the
 * close; the close that exit would make is made now (single-threaded: no
 * other thread can be using the socket). */
SHIM_FORK_TEXT __attribute__((noinline)) static void exit_settling(int fd, uint32_t st, int unread)
{
	struct pending_rst p;

	probe_shared(fd, st, unread, &p);
	if (p.armed && sys_close(fd) == 0) {
		fdtab_set(fd, FD_CLOSED);
		settle_shared(fd, st, &p);
	} else {
		unarm_shared(&p);
	}
}

/* At events=all, the close record of a connection the exit ends (not of
 * listeners and sockets never connected, which end without a word). */
static void note_exit_close(int fd, uint32_t st)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (event_wanted(&shim_cfg, EVENTS_ALL) &&
	    sys_getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
		event_call(SHIM_EV_CLOSE, fd, st, true);
}

SHIM_FORK_TEXT static bool end_at_exit(int fd, uint32_t st, void *ctx)
{
	struct at_exit *x = ctx;
	enum fdend_plan plan;
	int shared_unread;
	uint64_t cookie = fdtab_cookie(fd); /* (a close here forgets it) */

	if (st & (FD_CLOSED | FD_PRIVATE))
		return true;
	plan = fdend_plan(as_counted(fd, st), &shim_cfg);
	if (plan == FDEND_PLAIN)
		goto out;
	note_exit_close(fd, st);
	/* exit() flushes stdio's buffers only after the destructors: an
	 * answer still in a stream goes out before a lingering's FIN (a
	 * socket with other holders is lingered on too, under graceful, if
	 * /proc says none is left) */
	if (!x->flushed && (plan == FDEND_LINGER ||
			    (plan == FDEND_PROBE_SHARED && shim_cfg.graceful == GRACEFUL_ON))) {
		fflush(NULL);
		x->flushed = true;
	}
	if (plan == FDEND_LINGER) {
		act_before_close(fd, as_counted(fd, st), x->c, &shared_unread, false, NULL);
	} else if (plan == FDEND_PROBE) {
		int found = probe_before_close(fd, st, x->single_threaded, NULL);

		if (found > 0)
			exit_settling(fd, st, found);
		else if (found == PROBE_NO_RESET)
			lastref_closing_clean(fd); /* (lastref.h) */
	} else if (x->single_threaded &&
		   !act_before_close(fd, as_counted(fd, st), x->c, &shared_unread, true, NULL)) {
		exit_settling(fd, st, shared_unread);
	}
out:
	/* the process's references go with it */
	if (st & FD_COUNTED)
		sharecount_release(cookie);
	return true;
}

/* Sockets the process holds without the shim having seen them made: passed
 * through exec (sshd re-executes itself for each connection, the socket on
 * its standard input and output), or received in SCM_RIGHTS.  Learned from
 * /proc/self/fd and the kernel, so that exit checks them too. */
static void learn_if_unseen(int fd, int dir, const char *name, void *ctx)
{
	uint32_t st = fdtab_get(fd);
	bool at_fork = *(const bool *)ctx;

	(void)dir;
	(void)name;
	/* of no kind known: unknown, a number closed and opened again
	 * unseen, or one known only by its flags (a copy of an unknown one
	 * made close-on-exec: sshd's dup of the socket its exec got) */
	if ((st & (FD_CLOSED | FD_PRIVATE)) == FD_CLOSED) {
		/* Before a fork, the process goes on: a number marked closed
		 * but listed may be another thread's close in progress (its
		 * claim made, the kernel's close not yet), whose mark must
		 * stay (a second close of it is a double close).  Left as it
		 * is; if a TCP socket, the table is not complete (the exits
		 * look again, as they did before forks were walked before). */
		if (at_fork) {
			if (fdtab_probe(fd) & FD_TCP)
				fdtab_unseen_possible();
			return;
		}
		if (call_closing(fd))
			return; /* a close of it that this exit interrupted: its own */
	}
	if (!(st & (FD_SOCKET | FD_PRIVATE)) || (st & (FD_CLOSED | FD_PRIVATE)) == FD_CLOSED) {
		/* what the flags said of it stays true: the program's
		 * SO_LINGER {1, 0} (the exit's reset is its own: linger_zero,
		 * and graceful mode replaces it), close-on-exec */
		uint32_t flags = st & FD_CLOSED ? 0 : st & (FD_LINGER_ZERO | FD_CLOSE_ON_EXEC);

		if (fdtab_learn(fd) && flags)
			fdtab_or(fd, flags);
	}
}

static void learn_unseen(bool at_fork)
{
	fdtab_walk_begins();
	if (!proc_each_fd(learn_if_unseen, &at_fork))
		fdtab_unseen_possible();
}

/* The walk (learn_unseen, the marks of closes in progress kept) in a call
 * scope of the shim's own, not on a small signal stack; errno kept. */
static void learn_unseen_in_call(void)
{
	struct call c;
	int saved = errno;

	call_enter(&c);
	if (!call_tight(&c))
		learn_unseen(true);
	call_leave(&c);
	errno = saved;
}

/* Sockets not seen made are learned before a fork rather than at each
 * child's exit: a forking server's children inherit what the parent
 * learned once, and end without a walk of /proc/self/fd of their own
 * (its dentries cost the child more than the rest of the shim's work;
 * tools/bench fork-server) unless something may have come unseen since. */
void close_path_before_fork(void)
{
	/* (a thread blocked in recvmsg meanwhile: the children walk, the
	 * parent need not, once) */
	if (!shim_cfg.sockets_watched || fdtab_all_seen_but_receiving())
		return;
	learn_unseen_in_call();
}

void close_path_at_start(void)
{
	/* (as before a fork: the program's other threads, started by a
	 * library's constructor, may be closing meanwhile, whose marks stay;
	 * a forking server's first fork then walks no more) */
	if (shim_cfg.sockets_watched && !shim_cfg.closes_untracked)
		learn_unseen_in_call();
}

SHIM_FORK_TEXT void close_path_at_exit(bool by_exit)
{
	/* _exit() leaves stdio's buffers unwritten, on purpose (a forked
	 * child's copies of its parent's) */
	struct at_exit x = {NULL, !by_exit, __libc_single_threaded};
	struct call c;
	int saved = errno;

	if (!shim_cfg.sockets_watched)
		return;
	call_enter(&c);
	/* _exit() from a handler on a small alternate stack (a crash
	 * handler's last call): no room for the walk of /proc/self/fd and
	 * the records; the process ends as it would bare */
	if (!call_tight(&c)) {
		if (!fdtab_all_seen())
			learn_unseen(false);
		x.c = &c;
		fdtab_each(0, fdtab_program_limit() - 1, FD_TCP, end_at_exit, &x);
	}
	call_leave(&c);
	errno = saved;
}
