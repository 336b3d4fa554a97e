/* Graceful close.
 *
 * async (the default): the program's close() does the shutdown, hands a
 * private copy of the socket (privfd.h) to the background, and its own
 * number is then closed by the caller at once; one background thread drains
 * the private copies, watched by an epoll instance of its own, and closes
 * each at the peer's EOF or at its deadline.  The program's thread never
 * lingers in async mode: when the background cannot take a socket, it is
 * closed at once, already shut down and drained of what had come (the peer
 * gets a FIN, and what it sends later a reset), with a graceful_skipped
 * record.
 *
 * sync: the program's close() itself lingers (never in a signal handler on
 * a small stack, nor in raw mode's SIGSYS handler: those go async).
 *
 * Bytes are discarded with recv(MSG_TRUNC), which for TCP drops them in the
 * kernel without copying them out. */
#define _GNU_SOURCE
#include "linger.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "call.h"
#include "coldmem.h"
#include "config.h"
#include "epollset.h"
#include "event.h"
#include "fdtab.h"
#include "privfd.h"
#include "proc.h"
#include "sockshim.h"
#include "sys.h"

#define LINGER_BT_DEPTH 16
#define DISCARD_CHUNK (1 << 20)

enum { LINGER_SLOT_FREE, LINGER_SLOT_FILLING, LINGER_SLOT_ACTIVE };

/* What the records of a lingering close need from the close call. */
struct close_site {
	int bt_n;
	void *bt[LINGER_BT_DEPTH];
	struct event_addresses addr;
};

/* One socket lingering in the background. */
struct lingering {
	int state;	/* LINGER_SLOT_*, atomic */
	int priv;	/* its private descriptor (privfd slot) */
	int fd;		/* the number the program closed, for the log */
	uint32_t fd_state;
	int64_t start_ms, deadline_ms;
	long long drained;
	int64_t last_data_ms; /* when the peer's bytes last came (0: never) */
	/* the background's own: the number its epoll registration was made
	 * with (WATCH_NONE: not yet; WATCH_FAILED: none could be, looked at
	 * every tick), and which registration an event is of */
	int watched;
	uint32_t gen;
	struct close_site site; /* where the program closed it */
};

enum { WATCH_NONE = -1, WATCH_FAILED = -2 };
#define WAKE_KEY UINT64_MAX /* the wake pipe's events */
#define UNWATCHED_TICK_MS 20
/* How often a busy thread looks for new sockets: the longest a new one
 * waits for its first look (its FIN went at the close; its deadline is
 * the close's). */
#define BUSY_TICK_MS 2
/* How long the thread stays busy after its last socket: a server's next
 * close comes without a write, which woke the thread at once, and it ran
 * ahead of the program's thread (10 us more in each close of bench
 * slow-peer, one close every 2.2 ms); an idle process sleeps after it. */
#define BUSY_AFTER_MS 1000

/* Mapped when the thread starts, LINGER_MAX_INFLIGHT entries reserved;
 * only the pages of the entries used take memory. */
static struct lingering *inflight;
static int inflight_count; /* active or being filled */
static int slots_used_hw;  /* one above the highest entry ever used */
static int free_hint;	   /* where a free entry is looked for first */
static int capacity;	   /* a quarter of RLIMIT_NOFILE, within the table */

enum { THREAD_NONE, THREAD_STARTING, THREAD_RUNNING, THREAD_FAILED };
static int thread_state = THREAD_NONE;
static int wake_rd = -1, wake_wr = -1; /* privfd slots of the wake pipe */
static int ep_slot = -1;		/* privfd slot of the background's epoll instance */
static int ep_waiting_on = -1;		/* the number the thread waits on (-1: none) */
/* Set: a close needs not write to the wake pipe (a byte is there, or the
 * thread, busy with lingering sockets, looks for new ones every tick). */
static int wake_pending;
static unsigned handed; /* sockets handed to the thread, ever (atomic) */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What became of a lingering socket. */
enum outcome { DRAINING, PEER_DONE, TIMED_OUT, NOT_CONNECTED };

/* Reads and discards what is there, without blocking; *last_data: when
 * bytes last came. */
static enum outcome discard(int fd, long long *drained, int64_t *last_data, int64_t deadline)
{
	for (int i = 0; i < 64; i++) { /* bounded: a fast peer must not starve the others */
		ssize_t n = sys_recv(fd, NULL, DISCARD_CHUNK, MSG_TRUNC | MSG_DONTWAIT);

		if (n > 0) {
			*drained += n;
			*last_data = now_ms();
			continue;
		}
		if (n < 0 && errno == ENOTCONN)
			return NOT_CONNECTED;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return PEER_DONE; /* EOF, or the peer reset: nothing more to wait for */
		break;
	}
	return now_ms() >= deadline ? TIMED_OUT : DRAINING;
}

/* The record of a finished lingering close of fd (the program's number). */
static void log_outcome(enum outcome how, int fd, uint32_t st, long long drained,
			int64_t last_data, int64_t start, const struct close_site *site,
			const char *mode)
{
	struct event ev = EVENT_INIT(SHIM_EV_GRACEFUL_CLOSE, LOG_SEV_INFO);
	bool sending = how == TIMED_OUT && linger_peer_sending(start, last_data, shim_cfg.linger_ms);

	if (sending) {
		ev.name = SHIM_EV_GRACEFUL_TIMEOUT;
		ev.severity = LOG_SEV_ERROR;
	}
	if (!event_wanted(&shim_cfg, sending ? EVENTS_ERRORS : EVENTS_ALL))
		return;
	ev.fd = fd;
	ev.fd_state = st;
	ev.given_addresses = &site->addr;
	ev.drained = drained;
	ev.ms = now_ms() - start;
	ev.mode = mode;
	if (st & FD_LINGER_ZERO)
		ev.reason = "replaced the program's SO_LINGER {1, 0}";
	else if (how == TIMED_OUT && !sending)
		ev.reason = "the peer stayed open and silent";
	ev.backtrace = false; /* the close's own, captured when it was called */
	ev.given_bt = site->bt;
	ev.given_bt_n = site->bt_n;
	event_emit(&ev);
}

/* ---- the background thread ------------------------------------------- */

static void finish(struct lingering *l, enum outcome how)
{
	int fd = privfd_get(l->priv);

	if (fd >= 0) {
		/* A peer that kept sending is still connected: its address is
		 * there to be looked up now (see linger_take). */
		if (how == TIMED_OUT && !l->site.addr.local[0] &&
		    event_wanted(&shim_cfg, EVENTS_ERRORS))
			event_lookup_addresses(fd, &l->site.addr);
		/* The program's SO_LINGER {1, N} would make the close below
		 * block for N seconds, and every other lingering socket with
		 * it: the data is the kernel's to send from here. */
		struct linger off = {0, 0};

		sys_setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof off);
		/* Removed only at the number it was made with, while that is
		 * still ours (held: no move meanwhile).  A number the program
		 * took by dup2 may since be another lingering socket's: the
		 * removal there took that one's registration, which then
		 * reported nothing till its deadline
		 * (regress_linger_moved_number).  The registration left at a
		 * moved number goes with the socket at the release below
		 * (reporting at most once meanwhile, with an old
		 * generation). */
		if (l->watched == fd) {
			struct epoll_event unused = {0};
			int ep = privfd_get(ep_slot);

			if (ep >= 0) {
				sys_epoll_ctl(ep, EPOLL_CTL_DEL, fd, &unused);
				privfd_put(ep_slot);
			}
		}
		privfd_put(l->priv);
	}
	l->watched = WATCH_NONE;
	log_outcome(how, l->fd, l->fd_state, l->drained, l->last_data_ms, l->start_ms, &l->site,
		    "async");
	privfd_release(l->priv); /* the real close of the private copy */
	__atomic_store_n(&l->state, LINGER_SLOT_FREE, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&inflight_count, 1, __ATOMIC_ACQ_REL);
	/* (a hint only: a race costs a longer look, never a lost entry) */
	if ((int)(l - inflight) < __atomic_load_n(&free_hint, __ATOMIC_RELAXED))
		__atomic_store_n(&free_hint, (int)(l - inflight), __ATOMIC_RELAXED);
}

/* Registers (WATCH_NONE) or re-arms l in the thread's epoll instance:
 * one event, then none until re-armed (EPOLLONESHOT), so that a
 * registration left behind by a moved number reports at most once. */
static void watch(struct lingering *l, int fd)
{
	int ep = privfd_get(ep_slot);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT};

	if (ep < 0) {
		l->watched = WATCH_FAILED;
		return;
	}
	if (l->watched == fd) {
		ev.data.u64 = (uint64_t)l->gen << 32 | (uint32_t)(l - inflight);
		if (sys_epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) == 0) {
			privfd_put(ep_slot);
			return;
		}
	}
	/* new, or its number moved (the program took the old one) */
	l->gen++;
	ev.data.u64 = (uint64_t)l->gen << 32 | (uint32_t)(l - inflight);
	l->watched = sys_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? fd : WATCH_FAILED;
	privfd_put(ep_slot);
}

/* Drains what l's peer sent; finishes it at the peer's end or at the
 * deadline, else watches it again. */
static void service(struct lingering *l)
{
	int fd = privfd_get(l->priv);
	enum outcome how;

	if (fd < 0) { /* the program dup2()ed onto its number with none left to move to */
		finish(l, PEER_DONE);
		return;
	}
	how = discard(fd, &l->drained, &l->last_data_ms, l->deadline_ms);
	if (how == DRAINING && l->watched != WATCH_FAILED)
		watch(l, fd);
	privfd_put(l->priv);
	if (how != DRAINING)
		finish(l, how == TIMED_OUT ? TIMED_OUT : PEER_DONE);
}

static void drain_wake_pipe(void)
{
	char buf[512];
	int fd = privfd_get(wake_rd);

	if (fd < 0)
		return;
	while (sys_read(fd, buf, sizeof buf) > 0)
		;
	privfd_put(wake_rd);
}

/* The entries new since the last look are watched, those at their
 * deadline (and those no registration could be made for) serviced; when
 * the next look is due (INT64_MAX: none). */
static int64_t look_at_entries(void)
{
	int64_t now = now_ms(), next = INT64_MAX;
	int hw = __atomic_load_n(&slots_used_hw, __ATOMIC_ACQUIRE);

	for (int i = 0; i < hw; i++) {
		struct lingering *l = &inflight[i];
		int64_t left;

		if (__atomic_load_n(&l->state, __ATOMIC_ACQUIRE) != LINGER_SLOT_ACTIVE)
			continue;
		if (l->watched == WATCH_NONE || l->watched == WATCH_FAILED || now >= l->deadline_ms) {
			/* (a new one is looked at once: bytes or the peer's
			 * end may have come before it was watched) */
			service(l);
			if (__atomic_load_n(&l->state, __ATOMIC_ACQUIRE) != LINGER_SLOT_ACTIVE)
				continue;
		}
		left = l->deadline_ms - now;
		if (l->watched == WATCH_FAILED && left > UNWATCHED_TICK_MS)
			left = UNWATCHED_TICK_MS;
		if (now + left < next)
			next = now + left;
	}
	return next;
}

/* The background: an epoll instance reports only the sockets that have
 * something (poll(2) of every lingering socket at each wake-up cost the
 * kernel a wait-queue entry per socket, hundreds per close when as many
 * linger).  The entries themselves are walked when sockets were handed
 * over since the last walk (seen at each tick while busy, or woken by the
 * pipe when idle), and at deadlines. */
static void *linger_thread(void *arg)
{
	struct epoll_event evs[64];
	int64_t next = 0;	/* when the entries are looked at again */
	int64_t last_busy = 0;	/* when a socket was last lingering */
	unsigned seen = 0;	/* handed, at the last walk */

	(void)arg;
	for (;;) {
		bool busy = __atomic_load_n(&inflight_count, __ATOMIC_ACQUIRE) > 0, walk = false;
		int64_t left, wait_until = next;
		int timeout, hw, n, ep;

		if (busy)
			last_busy = now_ms();
		else if (now_ms() - last_busy < BUSY_AFTER_MS)
			busy = true;

		if (busy) {
			/* The flag held: closes hand sockets over without a
			 * write to the pipe, and the thread looks every tick
			 * (a write a close, waking this thread, was a quarter
			 * of the time of a graceful close in the program). */
			__atomic_store_n(&wake_pending, 1, __ATOMIC_SEQ_CST);
			if (wait_until > now_ms() + BUSY_TICK_MS)
				wait_until = now_ms() + BUSY_TICK_MS;
		} else {
			/* Idle: cleared first, walked after, so that a close
			 * whose exchange came before the store has its entry
			 * seen by this walk, and one after it writes a byte. */
			__atomic_store_n(&wake_pending, 0, __ATOMIC_SEQ_CST);
			seen = __atomic_load_n(&handed, __ATOMIC_SEQ_CST);
			wait_until = next = look_at_entries();
		}
		left = wait_until == INT64_MAX ? -1 : wait_until - now_ms();
		timeout = wait_until == INT64_MAX ? -1 : left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
		/* A wake pipe whose number the program took with none left to
		 * move it to (its slot lost) wakes nobody: no wait without an
		 * end then, nor one that a move of the instance's number
		 * (privfd_adopt_waking) would wait for without end. */
		if ((timeout < 0 || timeout > UNWATCHED_TICK_MS) &&
		    (privfd_peek(wake_rd) < 0 || privfd_peek(wake_wr) < 0))
			timeout = UNWATCHED_TICK_MS;
		/* The number noted, then read again: a move meanwhile (the
		 * program's dup2 of its own instance there) is either seen
		 * here, or waits until this wait is over (ep_moving). */
		do {
			ep = privfd_peek(ep_slot);
			__atomic_store_n(&ep_waiting_on, ep, __ATOMIC_SEQ_CST);
		} while (ep >= 0 && privfd_peek(ep_slot) != ep);
		if (ep >= 0) {
			n = sys_epoll_wait(ep, evs, 64, timeout);
		} else {
			n = -1;
			errno = EBADF;
		}
		__atomic_store_n(&ep_waiting_on, -1, __ATOMIC_SEQ_CST);
		if (n < 0) {
			if (errno != EINTR) {
				/* (no spinning; deadlines still end them) */
				struct timespec pause = {0, 20 * 1000 * 1000};

				sys_raw6(SYS_nanosleep, (long)&pause, 0, 0, 0, 0, 0);
			}
			n = 0;
		}
		hw = __atomic_load_n(&slots_used_hw, __ATOMIC_ACQUIRE);
		for (int k = 0; k < n; k++) {
			uint64_t key = evs[k].data.u64;
			uint32_t i = (uint32_t)key;
			struct lingering *l;

			if (key == WAKE_KEY) {
				drain_wake_pipe();
				continue;
			}
			if (i >= (uint32_t)hw)
				continue;
			l = &inflight[i];
			/* (an event of an earlier socket in the entry, or of a
			 * registration left at a moved number: nothing to do) */
			if (__atomic_load_n(&l->state, __ATOMIC_ACQUIRE) != LINGER_SLOT_ACTIVE ||
			    l->watched < 0 || l->gen != (uint32_t)(key >> 32))
				continue;
			service(l);
		}
		/* New sockets, or a deadline */
		if (__atomic_load_n(&handed, __ATOMIC_SEQ_CST) != seen)
			walk = true;
		if (next != INT64_MAX && now_ms() >= next)
			walk = true;
		if (walk) {
			seen = __atomic_load_n(&handed, __ATOMIC_SEQ_CST);
			next = look_at_entries();
		}
	}
	return NULL;
}

/* A quarter of the descriptor limit, within the table. */
static int current_capacity(void)
{
	struct rlimit rl;
	rlim_t q = 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		q = rl.rlim_cur == RLIM_INFINITY ? LINGER_MAX_INFLIGHT : rl.rlim_cur / 4;
	if (q < 16)
		q = 16;
	if (q > LINGER_MAX_INFLIGHT)
		q = LINGER_MAX_INFLIGHT;
	return (int)q;
}

/* A move of the epoll instance's number (the program's dup2 onto it):
 * the thread, if it waits on the old number or is about to, is woken and
 * waited for (see privfd_adopt_waking). */
static void ep_moving(int old)
{
	int fd;

	if (__atomic_load_n(&ep_waiting_on, __ATOMIC_SEQ_CST) != old)
		return; /* (its next look at the slot finds the new number) */
	fd = privfd_get(wake_wr);
	if (fd >= 0) {
		char c = 0;

		(void)!sys_write(fd, &c, 1); /* (a full pipe wakes it as well) */
		privfd_put(wake_wr);
	}
	/* (no end without a pipe: the thread's waits are 20 ms then) */
	while (__atomic_load_n(&ep_waiting_on, __ATOMIC_SEQ_CST) == old)
		sched_yield();
}

/* The table, the wake pipe and the thread; false if they cannot be had. */
static bool start_thread(void)
{
	int expected = THREAD_NONE, fds[2], ep;
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	bool ok = false;

	if (!__atomic_compare_exchange_n(&thread_state, &expected, THREAD_STARTING, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Another thread is starting it (a threaded server's first
		 * lingering closes, at once): its start is waited for, a while.
		 * It was taken for a failure, and every close but the first was
		 * not lingered (regress_linger_first_closes_at_once).  If the
		 * starter is this very thread, interrupted by a handler whose
		 * close came here, it cannot finish: after the while, no
		 * background, as before. */
		if (expected == THREAD_STARTING) {
			int64_t until = now_ms() + 50;

			while ((expected = __atomic_load_n(&thread_state, __ATOMIC_ACQUIRE)) ==
				       THREAD_STARTING &&
			       now_ms() < until) {
				struct timespec tick = {0, 100 * 1000};

				/* raw: glibc's nanosleep is a cancellation point */
				sys_raw6(SYS_nanosleep, (long)&tick, 0, 0, 0, 0, 0);
			}
		}
		return expected == THREAD_RUNNING;
	}
	if (!inflight) {
		void *t_ = mmap(NULL, LINGER_MAX_INFLIGHT * sizeof *inflight,
				PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				-1, 0);

		if (t_ != MAP_FAILED)
			inflight = t_;
	}
	__atomic_store_n(&capacity, current_capacity(), __ATOMIC_RELAXED);
	if (inflight && sys_pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
		wake_rd = privfd_adopt(fds[0]);
		wake_wr = privfd_adopt(fds[1]);
		sys_close(fds[0]);
		sys_close(fds[1]);
	}
	/* (raw: not one of the program's instances, which epoll_calls.c
	 * notes) */
	ep = wake_rd >= 0 && wake_wr >= 0 ? sys_epoll_create1(EPOLL_CLOEXEC) : -1;
	if (ep >= 0) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WAKE_KEY};

		ep_slot = privfd_adopt_waking(ep, ep_moving);
		sys_close(ep);
		ep = -1;
		if (ep_slot >= 0) {
			int epfd = privfd_get(ep_slot), rd = privfd_get(wake_rd);

			if (epfd >= 0 && rd >= 0 && sys_epoll_ctl(epfd, EPOLL_CTL_ADD, rd, &ev) == 0)
				ep = epfd; /* (ready) */
			if (rd >= 0)
				privfd_put(wake_rd);
			if (epfd >= 0)
				privfd_put(ep_slot);
		}
	}
	if (ep >= 0 && pthread_attr_init(&attr) == 0) {
		/* The thread runs no handler of the program's: every signal
		 * blocked, inherited from this thread at creation. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		ok = pthread_create(&t, &attr, linger_thread, NULL) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&attr);
	}
	__atomic_store_n(&thread_state, ok ? THREAD_RUNNING : THREAD_FAILED, __ATOMIC_RELEASE);
	return ok;
}

void linger_prepare(void)
{
	if (shim_cfg.graceful != GRACEFUL_OFF &&
	    __atomic_load_n(&thread_state, __ATOMIC_ACQUIRE) == THREAD_NONE) {
		int saved = errno;

		start_thread();
		errno = saved;
	}
}

static void wake_thread(void)
{
	int fd;

	/* Set: a byte is in the pipe already, or the thread, busy, looks
	 * for new sockets at each tick (linger_thread): no write needed. */
	if (__atomic_exchange_n(&wake_pending, 1, __ATOMIC_SEQ_CST))
		return;
	fd = privfd_get(wake_wr);
	if (fd >= 0) {
		char c = 0;

		(void)!sys_write(fd, &c, 1); /* a full pipe is awake enough */
		privfd_put(wake_wr);
	}
}

/* Hands fd to the thread; NULL if it can, else why not. */
static const char *linger_async(int fd, uint32_t st, int64_t start, long long drained,
				int64_t last_data, const struct close_site *site, bool may_start)
{
	struct lingering *l = NULL;
	int cap, hw;

	if (__atomic_load_n(&thread_state, __ATOMIC_ACQUIRE) != THREAD_RUNNING) {
		if (!may_start)
			return "the background thread cannot be started inside a signal handler";
		if (!start_thread())
			return "the background thread could not be started";
	}
	cap = __atomic_load_n(&capacity, __ATOMIC_RELAXED);
	if (__atomic_add_fetch(&inflight_count, 1, __ATOMIC_ACQ_REL) > cap) {
		/* The limit may have been raised since. */
		if (may_start)
			__atomic_store_n(&capacity, current_capacity(), __ATOMIC_RELAXED);
		goto full;
	}
	/* From the hint, round to it: a look from the start went past every
	 * lingering socket, each entry a cache miss, and its compare-and-swap
	 * took the line from the background thread. */
	for (int k = 0, from = __atomic_load_n(&free_hint, __ATOMIC_RELAXED); k < cap && !l; k++) {
		int i = (from + k) % cap, expected = LINGER_SLOT_FREE;

		if (__atomic_load_n(&inflight[i].state, __ATOMIC_RELAXED) == LINGER_SLOT_FREE &&
		    __atomic_compare_exchange_n(&inflight[i].state, &expected, LINGER_SLOT_FILLING,
						false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			l = &inflight[i];
			__atomic_store_n(&free_hint, i + 1, __ATOMIC_RELAXED);
		}
	}
	if (!l)
		goto full;
	l->priv = privfd_adopt(fd);
	if (l->priv < 0) {
		__atomic_store_n(&l->state, LINGER_SLOT_FREE, __ATOMIC_RELEASE);
		__atomic_sub_fetch(&inflight_count, 1, __ATOMIC_ACQ_REL);
		return "no descriptor left for the background";
	}
	l->fd = fd;
	l->fd_state = st;
	l->start_ms = start;
	l->deadline_ms = start + shim_cfg.linger_ms;
	l->drained = drained;
	l->last_data_ms = last_data;
	l->watched = WATCH_NONE;
	l->site = *site;
	hw = __atomic_load_n(&slots_used_hw, __ATOMIC_RELAXED);
	while (hw <= (int)(l - inflight) &&
	       !__atomic_compare_exchange_n(&slots_used_hw, &hw, (int)(l - inflight) + 1, true,
					    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		;
	__atomic_store_n(&l->state, LINGER_SLOT_ACTIVE, __ATOMIC_RELEASE);
	__atomic_add_fetch(&handed, 1, __ATOMIC_SEQ_CST);
	wake_thread();
	return NULL;
full:
	__atomic_sub_fetch(&inflight_count, 1, __ATOMIC_ACQ_REL);
	return "background full";
}

/* Lingers in the caller until the peer's EOF or the deadline. */
static enum outcome linger_sync(int fd, long long *drained, int64_t *last_data, int64_t deadline)
{
	enum outcome how;

	while ((how = discard(fd, drained, last_data, deadline)) == DRAINING) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - now_ms();

		if (left > 0)
			sys_poll(&p, 1, (int)left); /* EINTR: look again */
	}
	return how;
}

/* Whether fd is still the socket the shim saw made: a number closed behind
 * the shim's back (a raw system call) and refilled (a socket passed in
 * SCM_RIGHTS) must not be shut down. */
static bool same_socket(int fd)
{
	uint64_t known = fdtab_cookie(fd), now = 0;
	socklen_t len = sizeof now;

	if (known == 0)
		return true; /* no cookie taken (an older kernel) */
	return sys_getsockopt(fd, SOL_SOCKET, SO_COOKIE, &now, &len) == 0 && now == known;
}

/* Where linger_take keeps the close's site, and then (the site no longer
 * needed, when it has no frames) the graceful_skipped record's event: in
 * the call's buffer set when it has one (call_pending: nothing of the
 * close path's is held there while it lingers), not on the stack, which
 * may be a handler's small alternate one: on the stack they were 568
 * bytes more (regress_altstack_graceful_close). */
union linger_room {
	struct close_site site;
	struct event ev;
};

static void fill_skipped(struct event *ev, int fd, uint32_t st, const char *why)
{
	*ev = (struct event)EVENT_INIT(SHIM_EV_GRACEFUL_SKIPPED, LOG_SEV_ERROR);
	ev->fd = fd;
	ev->fd_state = st;
	ev->addresses = true;
	ev->reason = why;
	ev->mode = "async";
	ev->backtrace = false;
}

/* (a frame of its own: only a site with frames, which is on no small
 * stack, gets here) */
__attribute__((noinline)) static void report_skipped_with_frames(int fd, uint32_t st,
								  const struct close_site *site,
								  const char *why)
{
	struct event ev;

	fill_skipped(&ev, fd, st, why);
	ev.given_bt = site->bt;
	ev.given_bt_n = site->bt_n;
	event_emit(&ev);
}

static void report_skipped(int fd, uint32_t st, union linger_room *room, const char *why)
{
	if (!event_wanted(&shim_cfg, EVENTS_ERRORS))
		return;
	if (room->site.bt_n > 0) {
		report_skipped_with_frames(fd, st, &room->site, why);
		return;
	}
	fill_skipped(&room->ev, fd, st, why); /* (the site is done with) */
	event_emit(&room->ev);
}

static enum linger_outcome take(int fd, uint32_t st, struct call *c, union linger_room *room);

/* (a frame of its own: the room on the stack only where the call has no
 * buffer set) */
__attribute__((noinline)) static enum linger_outcome take_on_stack(int fd, uint32_t st,
								  struct call *c)
{
	union linger_room room;

	return take(fd, st, c, &room);
}

enum linger_outcome linger_take(int fd, uint32_t st, struct call *c)
{
	_Static_assert(sizeof(union linger_room) <= CALL_PENDING, "call.h's CALL_PENDING");
	_Static_assert(_Alignof(union linger_room) <= 8, "call_pending is 8-aligned");

	/* (a set only where the stack is small: claiming one writes its
	 * page, a copy-on-write fault in a forking server's every process,
	 * for a close that may record nothing) */
	if (call_tight(c) && call_buffers(c))
		return take(fd, st, c, call_pending(c));
	return take_on_stack(fd, st, c);
}

__attribute__((noinline)) static enum linger_outcome take(int fd, uint32_t st, struct call *c,
							 union linger_room *room)
{
	struct close_site *site = &room->site;
	void *const *bt;
	int64_t start;
	long long drained = 0;
	int64_t last_data = 0;
	enum outcome how;
	const char *why;
	/* In a signal handler the shim knows of (raw mode's) or on a small
	 * alternate stack, the caller must not linger, nor start a thread. */
	bool in_handler = call_tight(c) || call_in_trap();
	bool async = shim_cfg.linger_mode == LINGER_ASYNC || in_handler;

	if (sys_getpid() != proc_owner_pid || !same_socket(fd))
		return LINGER_FOREIGN;
	if (st & FD_LINGER_ZERO) {
		/* The program asked for an abortive close; graceful mode
		 * replaces it (reported in the graceful_close record). */
		struct linger off = {0, 0};

		sys_setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof off);
	}
	/* The addresses go in the records.  Once the peer's FIN has come
	 * after ours, the kernel no longer tells the peer (a socket gone to
	 * TCP_CLOSE: at once, for a close after the peer's own, whose last
	 * ACK our FIN gets within the shutdown on loopback,
	 * regress_graceful_close_peer_address): so they are looked up before
	 * the FIN when every lingering close is logged, and otherwise only
	 * for a timeout (the peer is then still there). */
	site->addr.local[0] = site->addr.peer[0] = '\0';
	if (event_wanted(&shim_cfg, EVENTS_ALL))
		event_lookup_addresses(fd, &site->addr);
	/* Queued data goes out, then the FIN.  Fails for a socket that was
	 * never connected or was reset: those close as usual. */
	if (sys_shutdown(fd, SHUT_WR) != 0)
		return LINGER_NOT_CONNECTED;
	start = now_ms();
	/* What is already there: a listener (which shutdown(SHUT_WR) does not
	 * refuse) answers ENOTCONN and closes as usual; a peer that is done
	 * already needs no waiting. */
	how = discard(fd, &drained, &last_data, start + shim_cfg.linger_ms);
	if (how == NOT_CONNECTED)
		return LINGER_NOT_CONNECTED;
	site->bt_n = 0;
	if (event_wanted(&shim_cfg, EVENTS_ERRORS)) {
		int n = call_backtrace(c, &bt);

		site->bt_n = n < LINGER_BT_DEPTH ? n : LINGER_BT_DEPTH;
		for (int i = 0; i < site->bt_n; i++)
			site->bt[i] = bt[i];
	}
	if (how == DRAINING && async) {
		/* The private copy keeps the socket in the program's epoll
		 * sets, which would report it (by the number the program
		 * closed) until the background is done. */
		epollset_forget(fd, !in_handler);
		why = linger_async(fd, st, start, drained, last_data, site, !in_handler);
		if (!why)
			return LINGER_HANDED;
		report_skipped(fd, st, room, why);
		return LINGER_SKIPPED;
	}
	if (how == DRAINING)
		how = linger_sync(fd, &drained, &last_data, start + shim_cfg.linger_ms);
	if (how == TIMED_OUT && !site->addr.local[0] && event_wanted(&shim_cfg, EVENTS_ERRORS))
		event_lookup_addresses(fd, &site->addr);
	log_outcome(how, fd, st, drained, last_data, start, site, async ? "async" : "sync");
	return LINGER_DONE;
}

SHIM_FORK_TEXT void linger_after_fork_child(void)
{
	/* The sockets' private descriptors were closed with the others; the
	 * parent's thread goes on with its own copies. */
	for (int i = 0; inflight && i < slots_used_hw; i++)
		inflight[i].state = LINGER_SLOT_FREE;
	if (slots_used_hw == 0 && thread_state == THREAD_NONE)
		return; /* never used: nothing written (a copy-on-write fault) */
	inflight_count = 0;
	slots_used_hw = 0;
	free_hint = 0;
	wake_rd = wake_wr = -1;
	ep_slot = -1;
	ep_waiting_on = -1;
	wake_pending = 0;
	thread_state = THREAD_NONE;
}

bool linger_thread_running(void)
{
	return __atomic_load_n(&thread_state, __ATOMIC_ACQUIRE) == THREAD_RUNNING;
}

SHIM_FORK_TEXT void linger_wait_at_exit(void)
{
	int64_t until;

	if (__atomic_load_n(&inflight_count, __ATOMIC_ACQUIRE) == 0 ||
	    __atomic_load_n(&thread_state, __ATOMIC_ACQUIRE) != THREAD_RUNNING)
		return;
	/* Every deadline is at most SOCKSHIM_LINGER_MS away: so is this. */
	until = now_ms() + shim_cfg.linger_ms + 50;
	while (__atomic_load_n(&inflight_count, __ATOMIC_ACQUIRE) > 0 && now_ms() < until) {
		struct timespec tick = {0, 2 * 1000 * 1000};

		/* raw: glibc's nanosleep is a cancellation point */
		sys_raw6(SYS_nanosleep, (long)&tick, 0, 0, 0, 0, 0);
	}
}
