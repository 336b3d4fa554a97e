/* Graceful close.
 *
 * async (the default): the program's close() does the shutdown, hands a
 * private copy of the socket (privfd.h) to the background, and its own
 * number is then closed by the caller at once; one background thread drains
 * the private copies with poll(2) and closes each at the peer's EOF or at
 * its deadline.  The program's thread never lingers in async mode: when
 * the background cannot take a socket, it is closed at once, already shut
 * down and drained of what had come (the peer gets a FIN, and what it
 * sends later a reset), with a graceful_skipped record.
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
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "call.h"
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
	struct close_site site; /* where the program closed it */
};

/* Mapped when the thread starts, LINGER_MAX_INFLIGHT entries reserved;
 * only the pages of the entries used take memory. */
static struct lingering *inflight;
static int inflight_count; /* active or being filled */
static int slots_used_hw;  /* one above the highest entry ever used */
static int capacity;	   /* a quarter of RLIMIT_NOFILE, within the table */

enum { THREAD_NONE, THREAD_STARTING, THREAD_RUNNING, THREAD_FAILED };
static int thread_state = THREAD_NONE;
static int wake_rd = -1, wake_wr = -1; /* privfd slots of the wake pipe */
static int wake_pending;		/* a byte is in the wake pipe */

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
		privfd_put(l->priv);
	}
	log_outcome(how, l->fd, l->fd_state, l->drained, l->last_data_ms, l->start_ms, &l->site,
		    "async");
	privfd_release(l->priv); /* the real close of the private copy */
	__atomic_store_n(&l->state, LINGER_SLOT_FREE, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&inflight_count, 1, __ATOMIC_ACQ_REL);
}

static void service(struct lingering *l)
{
	int fd = privfd_get(l->priv);
	enum outcome how;

	if (fd < 0) { /* the program dup2()ed onto its number with none left to move to */
		finish(l, PEER_DONE);
		return;
	}
	how = discard(fd, &l->drained, &l->last_data_ms, l->deadline_ms);
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
	/* Emptied first, cleared then, slots scanned after: a close whose
	 * exchange came before this store has its slot seen by the scan; one
	 * after it finds the flag clear and writes a new byte. */
	__atomic_store_n(&wake_pending, 0, __ATOMIC_SEQ_CST);
}

static void *linger_thread(void *arg)
{
	struct pollfd *pfd = arg;
	int *which = (int *)(pfd + LINGER_MAX_INFLIGHT + 1);

	for (;;) {
		int64_t now = now_ms();
		int n = 1, timeout = -1;
		int hw = __atomic_load_n(&slots_used_hw, __ATOMIC_ACQUIRE);

		/* A stale number here (a slot moved meanwhile) only makes poll
		 * report the wrong readiness; service() looks again under
		 * privfd_get. */
		pfd[0].fd = privfd_peek(wake_rd);
		pfd[0].events = POLLIN;
		for (int i = 0; i < hw; i++) {
			struct lingering *l = &inflight[i];
			int64_t left;

			if (__atomic_load_n(&l->state, __ATOMIC_ACQUIRE) != LINGER_SLOT_ACTIVE)
				continue;
			pfd[n].fd = privfd_peek(l->priv);
			pfd[n].events = POLLIN;
			which[n++] = i;
			left = l->deadline_ms - now;
			if (left < 0)
				left = 0;
			if (timeout < 0 || left < timeout)
				timeout = (int)left;
		}
		if (sys_poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			/* EINVAL: more descriptors than RLIMIT_NOFILE now allows (the
			 * program lowered it): no spinning; deadlines still end it */
			struct timespec pause = {0, 20 * 1000 * 1000};

			sys_raw6(SYS_nanosleep, (long)&pause, 0, 0, 0, 0, 0);
			for (int k = 1; k < n; k++)
				pfd[k].revents = 0;
			pfd[0].revents = 0;
		}
		if (pfd[0].revents)
			drain_wake_pipe();
		now = now_ms();
		for (int k = 1; k < n; k++) {
			struct lingering *l = &inflight[which[k]];

			if (pfd[k].revents || now >= l->deadline_ms)
				service(l);
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

/* The table, the wake pipe and the thread; false if they cannot be had. */
static bool start_thread(void)
{
	int expected = THREAD_NONE, fds[2];
	size_t poll_size = (LINGER_MAX_INFLIGHT + 1) * (sizeof(struct pollfd) + sizeof(int));
	void *polls = MAP_FAILED;
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
	polls = mmap(NULL, poll_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	__atomic_store_n(&capacity, current_capacity(), __ATOMIC_RELAXED);
	if (inflight && polls != MAP_FAILED && sys_pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
		wake_rd = privfd_adopt(fds[0]);
		wake_wr = privfd_adopt(fds[1]);
		sys_close(fds[0]);
		sys_close(fds[1]);
	}
	if (wake_rd >= 0 && wake_wr >= 0 && pthread_attr_init(&attr) == 0) {
		/* The thread runs no handler of the program's: every signal
		 * blocked, inherited from this thread at creation. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 64 * 1024);
		ok = pthread_create(&t, &attr, linger_thread, polls) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&attr);
	}
	if (!ok && polls != MAP_FAILED)
		munmap(polls, poll_size);
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

	/* One byte in the pipe is enough to wake the thread. */
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
	for (int i = 0; i < cap && !l; i++) {
		int expected = LINGER_SLOT_FREE;

		if (__atomic_compare_exchange_n(&inflight[i].state, &expected, LINGER_SLOT_FILLING,
						false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			l = &inflight[i];
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
	l->site = *site;
	hw = __atomic_load_n(&slots_used_hw, __ATOMIC_RELAXED);
	while (hw <= (int)(l - inflight) &&
	       !__atomic_compare_exchange_n(&slots_used_hw, &hw, (int)(l - inflight) + 1, true,
					    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		;
	__atomic_store_n(&l->state, LINGER_SLOT_ACTIVE, __ATOMIC_RELEASE);
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

void linger_after_fork_child(void)
{
	/* The sockets' private descriptors were closed with the others; the
	 * parent's thread goes on with its own copies. */
	for (int i = 0; inflight && i < slots_used_hw; i++)
		inflight[i].state = LINGER_SLOT_FREE;
	if (slots_used_hw == 0 && thread_state == THREAD_NONE)
		return; /* never used: nothing written (a copy-on-write fault) */
	inflight_count = 0;
	slots_used_hw = 0;
	wake_rd = wake_wr = -1;
	wake_pending = 0;
	thread_state = THREAD_NONE;
}

bool linger_thread_running(void)
{
	return __atomic_load_n(&thread_state, __ATOMIC_ACQUIRE) == THREAD_RUNNING;
}

void linger_wait_at_exit(void)
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
