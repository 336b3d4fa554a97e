/* The outcome of a close, known once it ran (see supervisor.h).
 *
 * Looking at the socket before the program's close and answering is not
 * exact: the peer's bytes may arrive between the look and the close, and
 * the kernel then resets a connection that was looked at with nothing
 * unread.  The supervisor's copy makes it exact: with the copy held, the
 * program's close only drops its number, and the socket ends (tcp_close)
 * when the copy is closed, after the look. */
#define _GNU_SOURCE
#include "supervisor.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "sockshim.h"

/* Longer than any close takes to run once answered; a number still naming
 * the socket then was kept by the program some other way (its close
 * failed): the socket is left to it. */
#define AFTER_MAX_MS 500

/* The program's pidfd, dup'ed once for the closes of one process that are
 * pending together (an exit's, a close_range's: hundreds at once), not
 * once each: each is a descriptor of the supervisor's (fds.c). */
struct pidref {
	int pidfd;
	int refs;
	int from; /* the pidfd it was dup'ed from (the process's: procs.c) */
	pid_t of;
};

struct after {
	int copy, fd;
	struct pidref *pid; /* NULL: decided at once */
	uint64_t ino;
	uint32_t st;
	int64_t deadline_ms;
	struct sv_who who;
};

static struct after *pend;
static int n_pend, cap_pend;
/* The last pidref let go, kept for the process's next close: a server's
 * closes come one at a time, and each dup'ed the pidfd and closed the dup
 * again (two system calls of the handler, each close of a connection
 * that is looked at once it ran).  Let go with the process
 * (sv_after_forget_pidfd): its pidfd's number may then name another's. */
static struct pidref *idle;

static void done(int i, bool decided);

/* The socket's TCP state (tcpi_state, the first byte of struct tcp_info,
 * all the kernel is asked to copy), in one call; -1 for a socket of another
 * kind, or no socket. */
int sv_tcp_state(int copy)
{
	unsigned char state;
	socklen_t len = sizeof state;

	return getsockopt(copy, IPPROTO_TCP, TCP_INFO, &state, &len) == 0 && len == 1 ? state
										       : -1;
}

static bool is_peer_done(int state)
{
	return state == TCP_CLOSE_WAIT || state == TCP_LAST_ACK || state == TCP_CLOSE;
}

/* The peer has sent its FIN (or the connection is gone): no byte can
 * arrive any more.  seen: the state the look before found (< 0: none); one
 * of these it stays in (a connection goes on only from CLOSE_WAIT to
 * LAST_ACK to CLOSE), and is not asked again: the client's close in a
 * churn, after the server's FIN, is one getsockopt shorter. */
static bool peer_done(int copy, int seen)
{
	return is_peer_done(seen) || is_peer_done(sv_tcp_state(copy));
}

/* The process's pidfd, shared with the close pending before if it is the
 * same process's (the same pidfd of the supervisor's, and the same pid:
 * either alone can name another process once one is gone); NULL if it
 * cannot be had. */
static struct pidref *pidref_for(int pidfd, pid_t pid)
{
	struct pidref *r;

	if (n_pend && (r = pend[n_pend - 1].pid) && r->from == pidfd && r->of == pid) {
		r->refs++;
		return r;
	}
	if (idle && idle->from == pidfd && idle->of == pid) {
		r = idle;
		idle = NULL;
		r->refs = 1;
		return r;
	}
	if (!(r = malloc(sizeof *r)))
		return NULL;
	r->from = pidfd;
	r->of = pid;
	r->pidfd = fcntl(pidfd, F_DUPFD_CLOEXEC, 0);
	if (r->pidfd < 0 || !sv_fds_room(r->pidfd)) {
		if (r->pidfd >= 0)
			close(r->pidfd);
		free(r);
		return NULL;
	}
	r->refs = 1;
	return r;
}

static void pidref_free(struct pidref *r)
{
	close(r->pidfd);
	free(r);
}

static void pidref_drop(struct pidref *r)
{
	if (r && --r->refs == 0) {
		if (r->from < 0) { /* (its process is gone) */
			pidref_free(r);
			return;
		}
		if (idle)
			pidref_free(idle);
		idle = r;
	}
}

/* Not only the idle one: a close still pending when its process is gone
 * (an exit seen before the look after its closes) lets its pidref go
 * after this, which kept idle named the next process given the pidfd's
 * number and the pid again (a pid namespace's ns_last_pid, or the pids
 * come round), whose closes were then all decided at once, with the dead
 * process's pidfd (found by a review of 787dfbf): it is marked, never
 * kept nor shared. */
void sv_after_forget_pidfd(int pidfd)
{
	if (idle && idle->from == pidfd) {
		pidref_free(idle);
		idle = NULL;
	}
	for (int i = 0; i < n_pend; i++)
		if (pend[i].pid && pend[i].pid->from == pidfd)
			pend[i].pid->from = -1;
}

void sv_after_take(int copy, int pidfd, int fd, uint64_t ino, uint32_t st, int state,
		   const struct event_foreign *who)
{
	struct after *a;

	if (n_pend == cap_pend) {
		int n = cap_pend ? cap_pend * 2 : 16;
		struct after *p = realloc(pend, (size_t)n * sizeof *p);

		if (!p) {
			close(copy);
			return;
		}
		pend = p;
		cap_pend = n;
	}
	a = &pend[n_pend];
	a->copy = copy;
	a->fd = fd;
	a->ino = ino;
	a->st = st;
	a->deadline_ms = sv_now_ms() + AFTER_MAX_MS;
	a->pid = NULL;
	sv_who_keep(&a->who, who);
	/* Nothing more can arrive (the peer is done): what is unread now is
	 * what the close will find, whoever's close is the last.  Or the
	 * supervisor's table is near full (fds.c): decided now, as it is
	 * (bytes that arrive before the program's close has run are not
	 * counted, a reset the program's close makes is still recorded). */
	if (peer_done(copy, state) || !sv_fds_room(copy) || !(a->pid = pidref_for(pidfd, who->pid))) {
		n_pend++;
		done(n_pend - 1, true);
		return;
	}
	n_pend++;
}

/* Has the program's close of a->fd run (the number no longer names the
 * socket, or the process is gone)? */
static bool closed_by_program(const struct after *a)
{
	int t = (int)syscall(SYS_pidfd_getfd, a->pid->pidfd, a->fd, 0);
	struct stat st;
	bool same;

	if (t < 0)
		return true; /* EBADF: closed; ESRCH: the process is gone */
	same = fstat(t, &st) == 0 && (uint64_t)st.st_ino == a->ino;
	close(t);
	return !same;
}

/* A record of a reset that will not be (the socket is reset already)
 * made the close_pending_error it then is, if the socket holds an error
 * nobody read: unread bytes keep a peek from returning it (regress_
 * pending_error_unread_data, as the library's).  False: none held. */
static bool as_pending_error(struct event *ev, int copy)
{
	int err = 0;
	socklen_t len = sizeof err;

	/* (EPIPE: a reset after the peer's FIN, which reads never return, as
	 * the library's pending_error_of_closed) */
	if (getsockopt(copy, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err == 0 || err == EPIPE)
		return false;
	ev->name = SHIM_EV_CLOSE_PENDING_ERROR;
	ev->reason = NULL;
	ev->unread = -1;
	ev->err = err;
	return true;
}

/* The socket's last reference is the copy: what its close will do, into
 * *ev (with *f, *addr); false: nothing to record. */
static bool decide(struct after *a, struct event *ev, struct event_foreign *f,
		   struct event_addresses *addr)
{
	struct linger lz = {0, 0};
	socklen_t len = sizeof lz;
	ssize_t n = recv(a->copy, NULL, INT_MAX, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	int err = n < 0 && errno != EAGAIN && errno != EWOULDBLOCK ? errno : 0;
	bool got = getsockopt(a->copy, SOL_SOCKET, SO_LINGER, &lz, &len) == 0;
	bool zero = got && lz.l_onoff && !lz.l_linger;

	/* A socket the protocol is done with (TCP_CLOSE: reset by the
	 * peer, or its FIN after ours, gone to TIME_WAIT, as after a
	 * program's shutdown) is closed without a word, unread bytes or
	 * SO_LINGER {1, 0} notwithstanding (tcp_close(); the library's
	 * tcp_already_closed): regress_supervise_close_after_peer_done */
	bool silent = (n > 0 || zero) && sv_tcp_state(a->copy) == TCP_CLOSE;

	/* SO_LINGER {1, N}: the copy's close, the socket's last, would wait
	 * up to N s for a send queue the peer does not take, and every
	 * supervised call with the supervisor (regress_supervise_linger_
	 * close_not_held); the program's own close, which asked to wait,
	 * only dropped its number.  It ends in the background instead, as
	 * linger.c's copies do: the same FIN, nobody held. */
	if (got && lz.l_onoff && lz.l_linger > 0) {
		struct linger off = {0, 0};

		setsockopt(a->copy, SOL_SOCKET, SO_LINGER, &off, sizeof off);
	}
	*ev = (struct event)EVENT_INIT(SHIM_EV_CLOSE_RST, LOG_SEV_ERROR);
	if (n > 0 && !silent) {
		ev->reason = "unread_data";
		ev->unread = n;
	} else if (err == ENOTCONN || err == ENOTSOCK) {
		return false;
	} else if (zero && !silent) {
		ev->reason = "linger_zero";
	} else if (err) {
		ev->name = SHIM_EV_CLOSE_PENDING_ERROR;
		ev->err = err;
	} else if (!silent || !as_pending_error(ev, a->copy)) {
		return false;
	}
	event_lookup_addresses(a->copy, addr);
	ev->fd = a->fd;
	ev->fd_state = a->st;
	ev->given_addresses = addr;
	ev->backtrace = false;
	ev->foreign = sv_who_foreign(&a->who, f);
	return true;
}

static void done(int i, bool decided)
{
	struct after *a = &pend[i];
	struct event ev;
	struct event_foreign f;
	struct event_addresses addr;
	bool report = decided && decide(a, &ev, &f, &addr);

	/* A close_rst is written after the close it reports on, unless the
	 * peer's own reset came since the look (the close then sends none:
	 * regress_close_rst_peer_reset_first, as the library's) */
	if (report && !strcmp(ev.name, SHIM_EV_CLOSE_RST) && sv_tcp_state(a->copy) == TCP_CLOSE)
		report = as_pending_error(&ev, a->copy);
	close(a->copy); /* the kernel's tcp_close, RST and all, if last */
	if (report)
		event_emit(&ev);
	pidref_drop(a->pid);
	sv_who_drop(&a->who);
	pend[i] = pend[--n_pend];
}

/* Waits briefly for the program's close to run: until then the copy
 * holds the connection, and the peer waits for its FIN.  Answered, the
 * thread runs the close within microseconds unless the CPUs are busy; then
 * the loop's 1 ms timer takes over. */
void sv_after_settle(void)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		sv_after_check();
		if (!n_pend)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) > 200000)
			return;
		sched_yield();
	}
}

int sv_after_timeout_ms(void)
{
	return n_pend ? 1 : -1;
}

void sv_after_check(void)
{
	int64_t now = n_pend ? sv_now_ms() : 0;

	for (int i = 0; i < n_pend;) {
		if (closed_by_program(&pend[i]))
			done(i, true);
		else if (now >= pend[i].deadline_ms)
			done(i, false);
		else
			i++;
	}
}

void sv_after_finish(void)
{
	while (n_pend) {
		struct timespec ms = {0, 1000000};

		sv_after_check();
		if (n_pend)
			nanosleep(&ms, NULL);
	}
}
