/* Rate limiting of records (see ratelimit.h).
 *
 * Each pair's window is one 64-bit word, (window start << 32 | records
 * written in it), changed by compare-and-swap; its suppressed count is a
 * separate counter, taken (exchanged to 0) by whoever starts the next
 * window, so that every refused record is counted exactly once.  The same
 * holds between the processes of a fork tree: the table is shared memory
 * from its making (the first record that needs it, or the first fork,
 * whichever comes first: never a copy, which a thread still counting
 * would miss), and the atomics work across processes alike.
 *
 * What the table holds is numbers only: any process of the tree can
 * write it (a worker that dropped its privileges too), so an event is an
 * index into this file's list of names, never a pointer, and nothing read
 * from it is followed or trusted further than a count. */
#include "ratelimit.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "coldmem.h"
#include "sockshim.h"
#include "sys.h"

struct pair {
	uint64_t key;	 /* 0: free, 1: being set up */
	uint64_t site;
	uint64_t window; /* start << 32 | written */
	uint32_t suppressed;
	uint32_t event; /* index into names[] */
};

/* The events a record of which may be limited (error severity): their
 * index is what the table keeps. */
static const char *const names[] = {
	SHIM_EV_CLOSE_ERROR,	  SHIM_EV_DOUBLE_CLOSE,	     SHIM_EV_SHUTDOWN_ERROR,
	SHIM_EV_SETSOCKOPT_ERROR, SHIM_EV_CLOSE_RST,	     SHIM_EV_CLOSE_PENDING_ERROR,
	SHIM_EV_GRACEFUL_CLOSE,	  SHIM_EV_GRACEFUL_TIMEOUT,  SHIM_EV_REUSEADDR_FORCED,
	SHIM_EV_REUSEPORT_FORCED, SHIM_EV_CONFIG_ERROR,	     SHIM_EV_RAW_SYSCALLS_UNSEEN,
	SHIM_EV_BACKTRACE_DISABLED, SHIM_EV_RAW_MODE,	     SHIM_EV_LOG_DROPPED,
	SHIM_EV_GRACEFUL_SKIPPED, SHIM_EV_SUPPRESSED,	     SHIM_EV_START,
	SHIM_EV_SUPERVISED,	  SHIM_EV_SOCKET,	     SHIM_EV_ACCEPT,
	SHIM_EV_SHUTDOWN,	  SHIM_EV_CLOSE,
};
#define N_NAMES (sizeof names / sizeof names[0])
_Static_assert(N_NAMES <= RATE_OVERFLOW, "an overflow pair per event");

#define RATE_MEMBERS 64

struct table {
	struct pair pairs[RATE_SLOTS];
	struct pair overflow[RATE_OVERFLOW]; /* by event alone, site 0 */
	uint64_t global_window;
	/* Whether any pair was ever taken: a process that limited nothing
	 * reads no page of it at its end (each is a fault in a forked
	 * child). */
	bool used;
	/* The process that made the table (it reports what is still
	 * counted at its end), and those of its tree that joined it since
	 * and have not left (when it is gone, the last of them to end
	 * does); a slot's pid that is dead (killed: it never left) is
	 * taken for gone, and freed. */
	pid_t maker;
	pid_t members[RATE_MEMBERS];
};

/* Only if the shared table cannot be made: this process's own. */
static struct table own;
static struct table *shared;
static bool unshared; /* mmap failed: not asked again at every record */
static bool elsewhere; /* in another pid namespace than the table's (ratelimit.h) */
#define MAX_PROBES 64

static struct table *make_table_slow(void);

static inline struct table *make_table(void)
{
	struct table *t = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);

	return t ? t : make_table_slow();
}

__attribute__((noinline)) static struct table *make_table_slow(void)
{
	struct table *t = __atomic_load_n(&shared, __ATOMIC_ACQUIRE), *none = NULL, *m;
	int saved = errno;

	if (t)
		return t;
	if (__atomic_load_n(&unshared, __ATOMIC_RELAXED))
		return &own;
	m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	errno = saved;
	if (m == MAP_FAILED) {
		/* (a fork's child then starts anew, as it did) */
		__atomic_store_n(&unshared, true, __ATOMIC_RELAXED);
		return &own;
	}
	m->maker = sys_getpid();
	if (!__atomic_compare_exchange_n(&shared, &none, m, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		munmap(m, sizeof *m); /* another thread's came first */
		errno = saved;
		return none;
	}
	return m;
}

static struct table *table(void)
{
	struct table *t = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);

	return t ? t : &own;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* The index of event in names[]; -1: not one that is limited.  The last
 * few names asked for are remembered (by their address: the same few
 * literals every time), each as one word (index + 1 in its top byte, the
 * address below; an address that does not fit is never found there), so
 * that a flood's every record does not compare names. */
static inline __attribute__((always_inline)) int event_index(const char *event)
{
	static uint64_t seen[8];
	const uint64_t low = ((uint64_t)1 << 56) - 1, addr = (uint64_t)(uintptr_t)event;
	uint64_t *slot = &seen[(addr >> 3) & 7];
	uint64_t w = __atomic_load_n(slot, __ATOMIC_RELAXED);

	if (w && (w & low) == addr)
		return (int)(w >> 56) - 1;
	for (unsigned i = 0; i < N_NAMES; i++)
		if (names[i] == event || strcmp(names[i], event) == 0) {
			__atomic_store_n(slot, (addr & low) | (uint64_t)(i + 1) << 56,
					 __ATOMIC_RELAXED);
			return (int)i;
		}
	return -1;
}

/* The pair of key in slots[0..n) (probing at most probes of them), made
 * if missing; NULL if none is free.  A slot being set up (key 1) is passed
 * over, never waited for: its setter may be the thread this runs on
 * interrupted (a signal handler's record), or a process of the tree that
 * died there (regress_rate_limit_stuck_slot).  Two threads that set up
 * the same pair at once may each make one: the counts stay exact, split
 * over both. */
static struct pair *find_in(struct table *t, struct pair *slots, unsigned n, unsigned probes,
			    uint64_t key, int ev, uint64_t site)
{
	for (unsigned i = 0; i < probes; i++) {
		struct pair *p = &slots[(key + i) % n];
		uint64_t k = __atomic_load_n(&p->key, __ATOMIC_ACQUIRE), none = 0;

		if (k == key)
			return p;
		if (k != 0)
			continue;
		if (!__atomic_load_n(&t->used, __ATOMIC_RELAXED))
			__atomic_store_n(&t->used, true, __ATOMIC_RELEASE);
		/* The pair's names first, then its key: a finder that sees the
		 * key sees them. */
		if (__atomic_compare_exchange_n(&p->key, &none, 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			__atomic_store_n(&p->event, (uint32_t)ev, __ATOMIC_RELAXED);
			__atomic_store_n(&p->site, site, __ATOMIC_RELAXED);
			__atomic_store_n(&p->key, key, __ATOMIC_RELEASE);
			return p;
		}
		if (none == key)
			return p;
	}
	return NULL;
}

static inline __attribute__((always_inline)) struct pair *find(struct table *t, int ev, uint64_t site)
{
	uint64_t key = mix((uint64_t)(ev + 1) ^ mix(site)) | 2;

	return find_in(t, t->pairs, RATE_SLOTS, MAX_PROBES, key, ev, site);
}

/* A site the table has no room for: its event's overflow pair. */
static struct pair *find_overflow(struct table *t, int ev)
{
	uint64_t key = mix((uint64_t)(ev + 1)) | 2;

	return find_in(t, t->overflow, RATE_OVERFLOW, RATE_OVERFLOW, key, ev, 0);
}

/* One more record in the window word *w (n allowed per window_s), or false
 * if the window is full.  *started: a new window was started by this call. */
static bool take(uint64_t *w, uint32_t now_s, int n, int window_s, bool *started)
{
	uint64_t old = __atomic_load_n(w, __ATOMIC_ACQUIRE), neu;

	*started = false;
	for (;;) {
		uint32_t start = (uint32_t)(old >> 32), used = (uint32_t)old;

		/* signed: a thread whose clock read is a little older than the
		 * window's start (read before, swapped after) is in that window */
		if (old == 0 || (int32_t)(now_s - start) >= window_s) {
			neu = (uint64_t)now_s << 32 | 1;
			*started = true;
		} else if (used < (uint32_t)n) {
			neu = old + 1;
			*started = false;
		} else {
			return false;
		}
		if (__atomic_compare_exchange_n(w, &old, neu, true, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return true;
	}
}

bool ratelimit_admit(const char *event, uint64_t site, uint32_t now_s, int n, int window_s,
		     struct rate_flush *flush)
{
	struct table *t;
	struct pair *p;
	bool started, g_started;
	int budget = n, ev;

	flush->count = 0;
	flush->site = site;
	if (n <= 0 || (ev = event_index(event)) < 0)
		return true;
	t = make_table();
	p = find(t, ev, site);
	if (!p) {
		/* No room for the site (pairs are never freed: a process that
		 * met 4096 of them): its event's overflow pair, whose budget
		 * is that of many sites, the cap's (regress_rate_limit_full_table) */
		p = find_overflow(t, ev);
		budget = n * RATE_GLOBAL_FACTOR;
		flush->site = 0;
		if (!p) /* every overflow slot set up at once by others: the cap alone */
			return take(&t->global_window, now_s, n * RATE_GLOBAL_FACTOR, window_s,
				    &g_started);
	}
	if (!take(&p->window, now_s, budget, window_s, &started)) {
		__atomic_add_fetch(&p->suppressed, 1, __ATOMIC_ACQ_REL);
		return false;
	}
	if (started)
		flush->count = __atomic_exchange_n(&p->suppressed, 0, __ATOMIC_ACQ_REL);
	if (!take(&t->global_window, now_s, n * RATE_GLOBAL_FACTOR, window_s, &g_started)) {
		/* the process-wide cap: counted at the pair, reported with it */
		__atomic_add_fetch(&p->suppressed, 1, __ATOMIC_ACQ_REL);
		return false;
	}
	return true;
}

void ratelimit_jam_for_test(const char *event, uint64_t site)
{
	struct table *t = make_table();
	int ev = event_index(event);
	uint64_t key = mix((uint64_t)(ev + 1) ^ mix(site)) | 2;

	__atomic_store_n(&t->pairs[key % RATE_SLOTS].key, 1, __ATOMIC_RELEASE);
}

void ratelimit_give_back(const char *event, uint64_t site, uint32_t count)
{
	struct table *t = table();
	int ev = event_index(event);
	struct pair *p;

	if (ev < 0 || !count)
		return;
	p = site ? find(t, ev, site) : NULL;
	if (!p)
		p = find_overflow(t, ev);
	if (p)
		__atomic_add_fetch(&p->suppressed, count, __ATOMIC_ACQ_REL);
}

/* One taken from window w's count (none if it has none left: a window
 * begun since starts afresh). */
static void untake(uint64_t *w)
{
	uint64_t old = __atomic_load_n(w, __ATOMIC_ACQUIRE);

	while ((uint32_t)old > 0 &&
	       !__atomic_compare_exchange_n(w, &old, old - 1, true, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
}

void ratelimit_uncount(const char *event, uint64_t site, bool admitted)
{
	struct table *t = table();
	int ev = event_index(event);
	struct pair *p;
	uint32_t c;

	if (ev < 0)
		return;
	p = site ? find(t, ev, site) : NULL;
	if (!p)
		p = find_overflow(t, ev);
	if (admitted) {
		/* its place in the window given back: a later record of the
		 * site is written in its stead (an admitted record that was not
		 * one took it, and the reset that came next was only counted) */
		if (p)
			untake(&p->window);
		untake(&t->global_window);
		return;
	}
	if (!p)
		return;
	c = __atomic_load_n(&p->suppressed, __ATOMIC_ACQUIRE);
	while (c > 0 && !__atomic_compare_exchange_n(&p->suppressed, &c, c - 1, true,
						     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
}

static void flush_pairs(struct pair *slots, unsigned n,
			void (*fn)(const char *event, uint64_t site, uint32_t count, void *ctx),
			void *ctx)
{
	for (unsigned i = 0; i < n; i++) {
		struct pair *p = &slots[i];
		uint32_t c, ev;

		if (__atomic_load_n(&p->key, __ATOMIC_ACQUIRE) <= 1)
			continue;
		ev = __atomic_load_n(&p->event, __ATOMIC_RELAXED);
		if (ev >= N_NAMES) /* (not one this shim wrote) */
			continue;
		c = __atomic_exchange_n(&p->suppressed, 0, __ATOMIC_ACQ_REL);
		if (c)
			fn(names[ev], __atomic_load_n(&p->site, __ATOMIC_RELAXED), c, ctx);
	}
}

SHIM_FORK_TEXT
void ratelimit_flush(void (*fn)(const char *event, uint64_t site, uint32_t count, void *ctx),
		     void *ctx)
{
	struct table *t = table();

	if (!__atomic_load_n(&t->used, __ATOMIC_ACQUIRE))
		return;
	flush_pairs(t->pairs, RATE_SLOTS, fn, ctx);
	flush_pairs(t->overflow, RATE_OVERFLOW, fn, ctx);
}

void ratelimit_before_fork(void)
{
	make_table(); /* the child's is this one */
}

/* pid's slot among the members (claiming a free one if claim); NULL: none. */
static pid_t *member_slot(struct table *t, pid_t pid, bool claim)
{
	for (int i = 0; i < RATE_MEMBERS; i++) {
		pid_t m = __atomic_load_n(&t->members[i], __ATOMIC_ACQUIRE), none = 0;

		if (m == pid)
			return &t->members[i];
		if (claim && m == 0 &&
		    __atomic_compare_exchange_n(&t->members[i], &none, pid, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return &t->members[i];
	}
	return NULL;
}

static void join(struct table *t)
{
	member_slot(t, sys_getpid(), true); /* (none free: not counted, see leave) */
}

SHIM_FORK_TEXT void ratelimit_forked(void)
{
	struct table *t = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);

	if (t) {
		if (!elsewhere)
			join(t);
		return;
	}
	ratelimit_reset(); /* no shared table: the parent reports what it counted */
}

void ratelimit_elsewhere(void)
{
	struct table *t = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);
	pid_t self = sys_getpid(), *mine;

	elsewhere = true;
	if (t && (mine = member_slot(t, self, false)))
		__atomic_compare_exchange_n(mine, &self, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

/* Whether pid is a process that has not ended (a zombie has not been
 * reaped: taken for alive, as it is its parent's to reap soon).  (This and
 * the pids here are asked with the system calls themselves, not libc's
 * wrappers: at the end of every forked child, kill()'s page of libc's code
 * was one more page fault, a page the child itself never ran.) */
SHIM_FORK_TEXT static bool alive(pid_t pid)
{
	int saved = errno;
	bool yes = pid > 0 && (SYS6(SYS_kill, pid, 0, 0, 0, 0, 0) == 0 || errno == EPERM);

	errno = saved;
	return yes;
}

SHIM_FORK_TEXT bool ratelimit_leave(void)
{
	struct table *t = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);
	pid_t self, *mine, maker;

	if (!t)
		return true;
	if (elsewhere)
		return false; /* (its pids are not the table's) */
	self = sys_getpid();
	/* idempotent: an exec from a handler during exit() leaves once */
	if ((mine = member_slot(t, self, false)))
		__atomic_compare_exchange_n(mine, &self, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	maker = __atomic_load_n(&t->maker, __ATOMIC_ACQUIRE);
	/* The maker reports, and is the maker no more: at an exec its pid
	 * lives on in another program, which reports nothing of the tree's,
	 * and its children's later counts were lost (a server that re-execs
	 * itself on SIGHUP: test_regress_rate_limit_maker_execs) */
	if (maker == self) {
		__atomic_compare_exchange_n(&t->maker, &maker, 0, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE);
		return true;
	}
	if (alive(maker))
		return false;
	/* The maker is gone: the last member to end reports, a dead one (it
	 * was killed, or ended in a sandbox, and never left) let go of. */
	for (int i = 0; i < RATE_MEMBERS; i++) {
		pid_t m = __atomic_load_n(&t->members[i], __ATOMIC_ACQUIRE);

		if (m == 0 || m == self)
			continue;
		if (alive(m))
			return false;
		__atomic_compare_exchange_n(&t->members[i], &m, 0, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE);
	}
	return true;
}

void ratelimit_rejoin(void)
{
	struct table *t = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);

	if (t && !elsewhere)
		join(t); /* (the maker, too: now one of the members) */
}

SHIM_FORK_TEXT void ratelimit_reset(void)
{
	/* (each written only if it must change: a page written in a forked
	 * child is a copy-on-write fault, fork_child_copies_one_page) */
	if (__atomic_load_n(&shared, __ATOMIC_ACQUIRE))
		__atomic_store_n(&shared, NULL, __ATOMIC_RELEASE);
	if (__atomic_load_n(&unshared, __ATOMIC_RELAXED))
		__atomic_store_n(&unshared, false, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&own.used, __ATOMIC_ACQUIRE) && own.global_window == 0)
		return; /* nothing written: no page copied in a forked child */
	memset(&own, 0, sizeof own);
}
