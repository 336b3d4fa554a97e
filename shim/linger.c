/* Graceful close.
 *
 * async (the default): the program's close() does the shutdown, moves the
 * socket to a private descriptor (privfd.h), frees the program's number
 * with the real close, and returns at once; one background thread drains
 * the private descriptors with poll(2) and closes each at the peer's EOF or
 * at its deadline.  At most LINGER_MAX_INFLIGHT at once; beyond that, and
 * whenever the thread cannot run, the close lingers in the program's call.
 *
 * sync: the program's close() itself lingers.
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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "backtrace.h"
#include "event.h"
#include "libc.h"
#include "privfd.h"
#include "shim.h"
#include "sockshim.h"

#define LINGER_BT_DEPTH 16
#define DISCARD_CHUNK (1 << 20)

enum { SLOT_FREE, SLOT_FILLING, SLOT_ACTIVE };

/* What the records of a lingering close need from the close call. */
struct close_site {
	int bt_n;
	void *bt[LINGER_BT_DEPTH];
	struct event_addresses addr;
};

/* One socket lingering in the background. */
struct lingering {
	int state;	/* SLOT_*, atomic */
	int priv;	/* its private descriptor (privfd slot) */
	int fd;		/* the number the program closed, for the log */
	uint32_t fd_state;
	int64_t start_ms, deadline_ms;
	long long drained;
	struct close_site site; /* where the program closed it */
};

static struct lingering inflight[LINGER_MAX_INFLIGHT];
static int inflight_count; /* active or being filled */

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

bool linger_applies(uint32_t st)
{
	if (!(st & FD_TCP))
		return false;
	switch (shim_cfg.graceful) {
	case GRACEFUL_ALWAYS: return true;
	case GRACEFUL_ON: return (st & (FD_CREATED | FD_SHARED)) == FD_CREATED;
	default: return false;
	}
}

/* What became of a lingering socket. */
enum outcome { DRAINING, PEER_DONE, TIMED_OUT, NOT_CONNECTED };

/* Reads and discards what is there, without blocking. */
static enum outcome discard(int fd, long long *drained, int64_t deadline)
{
	for (int i = 0; i < 64; i++) { /* bounded: a fast peer must not starve the others */
		ssize_t n = recv(fd, NULL, DISCARD_CHUNK, MSG_TRUNC | MSG_DONTWAIT);

		if (n > 0) {
			*drained += n;
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
static void log_outcome(enum outcome how, int fd, uint32_t st, long long drained, int64_t start,
			const struct close_site *site, const char *mode, const char *reason)
{
	struct event ev = EVENT_INIT(SHIM_EV_GRACEFUL_CLOSE, LOG_SEV_INFO);

	if (how == TIMED_OUT) {
		ev.name = SHIM_EV_GRACEFUL_TIMEOUT;
		ev.severity = LOG_SEV_ERROR;
	}
	if (!event_wanted(&shim_cfg, how == TIMED_OUT ? EVENTS_ERRORS : EVENTS_ALL))
		return;
	ev.fd = fd;
	ev.fd_state = st;
	ev.given_addresses = &site->addr;
	ev.drained = drained;
	ev.ms = now_ms() - start;
	ev.mode = mode;
	ev.reason = reason;
	if (!reason && (st & FD_LINGER_ZERO))
		ev.reason = "replaced the program's SO_LINGER {1, 0}";
	ev.backtrace = false; /* the close's own, captured when it was called */
	ev.given_bt = site->bt;
	ev.given_bt_n = site->bt_n;
	event_emit(&ev);
}

/* ---- the background thread ------------------------------------------- */

static void finish(struct lingering *l, enum outcome how)
{
	/* A peer that kept sending is still connected: its address is
	 * there to be looked up now (see linger_close). */
	if (how == TIMED_OUT && !l->site.addr.local[0] && event_wanted(&shim_cfg, EVENTS_ERRORS)) {
		int fd = privfd_get(l->priv);

		if (fd >= 0) {
			event_lookup_addresses(fd, &l->site.addr);
			privfd_put(l->priv);
		}
	}
	log_outcome(how, l->fd, l->fd_state, l->drained, l->start_ms, &l->site, "async", NULL);
	privfd_release(l->priv); /* the real close */
	__atomic_store_n(&l->state, SLOT_FREE, __ATOMIC_RELEASE);
	__atomic_sub_fetch(&inflight_count, 1, __ATOMIC_ACQ_REL);
}

static void service(struct lingering *l)
{
	int fd = privfd_get(l->priv);
	enum outcome how;

	if (fd < 0) { /* cannot happen: only this thread releases it */
		finish(l, PEER_DONE);
		return;
	}
	how = discard(fd, &l->drained, l->deadline_ms);
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
	while (read(fd, buf, sizeof buf) > 0)
		;
	privfd_put(wake_rd);
	/* Emptied first, cleared then, slots scanned after: a close whose
	 * exchange came before this store has its slot seen by the scan; one
	 * after it finds the flag clear and writes a new byte. */
	__atomic_store_n(&wake_pending, 0, __ATOMIC_SEQ_CST);
}

static void *linger_thread(void *arg)
{
	static struct pollfd pfd[LINGER_MAX_INFLIGHT + 1];
	static int which[LINGER_MAX_INFLIGHT + 1];

	(void)arg;
	for (;;) {
		int64_t now = now_ms();
		int n = 1, timeout = -1;

		/* A stale number here (a slot moved meanwhile) only makes poll
		 * report the wrong readiness; service() looks again under
		 * privfd_get. */
		pfd[0].fd = privfd_peek(wake_rd);
		pfd[0].events = POLLIN;
		for (int i = 0; i < LINGER_MAX_INFLIGHT; i++) {
			struct lingering *l = &inflight[i];
			int64_t left;

			if (__atomic_load_n(&l->state, __ATOMIC_ACQUIRE) != SLOT_ACTIVE)
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
		if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
			continue;
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

/* The wake pipe and the thread; false if they cannot be had. */
static bool start_thread(void)
{
	int expected = THREAD_NONE, fds[2];
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t t;
	bool ok = false;

	if (!__atomic_compare_exchange_n(&thread_state, &expected, THREAD_STARTING, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return expected == THREAD_RUNNING;
	/* A plain system call: the program's pipe2 wrapper, if any, must not
	 * see the shim's own pipe. */
	if (syscall(SYS_pipe2, fds, O_CLOEXEC | O_NONBLOCK) == 0) {
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
		ok = pthread_create(&t, &attr, linger_thread, NULL) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&attr);
	}
	__atomic_store_n(&thread_state, ok ? THREAD_RUNNING : THREAD_FAILED, __ATOMIC_RELEASE);
	return ok;
}

void linger_prepare(void)
{
	if (shim_cfg.graceful != GRACEFUL_OFF && shim_cfg.linger_mode == LINGER_ASYNC &&
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

		(void)!write(fd, &c, 1); /* a full pipe is awake enough */
		privfd_put(wake_wr);
	}
}

/* Hands fd to the thread; false if it cannot take it (then the caller
 * lingers itself). */
static bool linger_async(int fd, uint32_t st, int64_t start, long long drained,
			 const struct close_site *site)
{
	struct lingering *l = NULL;

	if (!start_thread())
		return false;
	if (__atomic_add_fetch(&inflight_count, 1, __ATOMIC_ACQ_REL) > LINGER_MAX_INFLIGHT)
		goto full;
	for (int i = 0; i < LINGER_MAX_INFLIGHT && !l; i++) {
		int expected = SLOT_FREE;

		if (__atomic_compare_exchange_n(&inflight[i].state, &expected, SLOT_FILLING, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			l = &inflight[i];
	}
	if (!l)
		goto full;
	l->priv = privfd_adopt(fd);
	if (l->priv < 0) { /* no descriptor left for it */
		__atomic_store_n(&l->state, SLOT_FREE, __ATOMIC_RELEASE);
		goto full;
	}
	l->fd = fd;
	l->fd_state = st;
	l->start_ms = start;
	l->deadline_ms = start + shim_cfg.linger_ms;
	l->drained = drained;
	l->site = *site;
	__atomic_store_n(&l->state, SLOT_ACTIVE, __ATOMIC_RELEASE);
	wake_thread();
	return true;
full:
	__atomic_sub_fetch(&inflight_count, 1, __ATOMIC_ACQ_REL);
	return false;
}

/* Lingers in the caller until the peer's EOF or the deadline. */
static enum outcome linger_sync(int fd, long long *drained, int64_t deadline)
{
	enum outcome how;

	while ((how = discard(fd, drained, deadline)) == DRAINING) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - now_ms();

		if (left > 0)
			poll(&p, 1, (int)left); /* EINTR: look again */
	}
	return how;
}

bool linger_close(int fd, uint32_t st, int *ret, void (*mark_closing)(int fd, void *ctx),
		  void *ctx)
{
	struct close_site site;
	int64_t start;
	long long drained = 0;
	enum outcome how;
	bool full = false;
	int saved = errno; /* the close's errno is the real close's alone */

	/* A vfork child shares the parent's memory but not its descriptors:
	 * the parent's thread must not be handed a number of the child's. */
	if (getpid() != shim_pid)
		return false;
	if (st & FD_LINGER_ZERO) {
		/* The program asked for an abortive close; graceful mode
		 * replaces it (reported in the graceful_close record). */
		struct linger off = {0, 0};

		libc_setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof off);
	}
	/* Queued data goes out, then the FIN.  Fails for a socket that was
	 * never connected or was reset: those close as usual. */
	if (libc_shutdown(fd, SHUT_WR) != 0) {
		errno = saved;
		return false;
	}
	start = now_ms();
	/* What is already there: a listener (which shutdown(SHUT_WR) does not
	 * refuse) answers ENOTCONN and closes as usual; a peer that is done
	 * already needs no waiting. */
	how = discard(fd, &drained, start + shim_cfg.linger_ms);
	if (how == NOT_CONNECTED) {
		errno = saved;
		return false;
	}
	site.bt_n = 0;
	site.addr.local[0] = site.addr.peer[0] = '\0';
	if (event_wanted(&shim_cfg, EVENTS_ERRORS) && shim_cfg.backtrace)
		site.bt_n = backtrace_capture(site.bt, LINGER_BT_DEPTH < shim_cfg.backtrace_depth
							       ? LINGER_BT_DEPTH
							       : shim_cfg.backtrace_depth);
	/* The addresses go in the records; after the peer's FIN the kernel no
	 * longer tells the peer, so they are looked up now when every
	 * lingering close is logged, and otherwise only for a timeout (the
	 * peer is then still there). */
	if (event_wanted(&shim_cfg, EVENTS_ALL))
		event_lookup_addresses(fd, &site.addr);
	if (how == DRAINING && shim_cfg.linger_mode == LINGER_ASYNC) {
		if (linger_async(fd, st, start, drained, &site)) {
			mark_closing(fd, ctx);
			errno = saved;
			*ret = libc_close(fd);
			return true;
		}
		full = true; /* this one lingers here */
	}
	if (how == DRAINING)
		how = linger_sync(fd, &drained, start + shim_cfg.linger_ms);
	if (how == TIMED_OUT && !site.addr.local[0] && event_wanted(&shim_cfg, EVENTS_ERRORS))
		event_lookup_addresses(fd, &site.addr);
	log_outcome(how, fd, st, drained, start, &site,
		    shim_cfg.linger_mode == LINGER_SYNC || full ? "sync" : "async",
		    full ? "background full" : NULL);
	mark_closing(fd, ctx);
	errno = saved;
	*ret = libc_close(fd);
	return true;
}

void linger_after_fork_child(void)
{
	/* The sockets' private descriptors were closed with the others; the
	 * parent's thread goes on with its own copies. */
	for (int i = 0; i < LINGER_MAX_INFLIGHT; i++)
		inflight[i].state = SLOT_FREE;
	inflight_count = 0;
	wake_rd = wake_wr = -1;
	wake_pending = 0;
	thread_state = THREAD_NONE;
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

		nanosleep(&tick, NULL);
	}
}
