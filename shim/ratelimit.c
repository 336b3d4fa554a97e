/* Rate limiting of records (see ratelimit.h).
 *
 * Each pair's window is one 64-bit word, (window start << 32 | records
 * written in it), changed by compare-and-swap; its suppressed count is a
 * separate counter, taken (exchanged to 0) by whoever starts the next
 * window, so that every refused record is counted exactly once.  The same
 * holds between the processes of a fork tree: the words are in shared
 * memory, and the atomics work across processes alike. */
#include "ratelimit.h"

#include <string.h>
#include <sys/mman.h>

struct pair {
	uint64_t key;	 /* 0: free, 1: being set up */
	const char *event;
	uint64_t site;
	uint64_t window; /* start << 32 | written */
	uint32_t suppressed;
};

struct table {
	struct pair pairs[RATE_SLOTS];
	struct pair overflow[RATE_OVERFLOW]; /* by event alone, site 0 */
	uint64_t global_window;
	/* Whether any pair was ever taken: most processes never limit
	 * anything, and a forked child's reset and every exit's flush must
	 * then not touch the table (a read or write of each of its pages
	 * costs a fault there). */
	bool used;
	/* processes of the tree that joined the shared table and have not
	 * ended (one that ends without exit(), killed, never leaves) */
	int members;
};

static struct table own;
/* The fork tree's table, from this process's first fork (or its
 * parent's) on; NULL: own.  (A thread of the parent that counts in own
 * while the first fork copies it may lose that count to the tree: the
 * window is the copy's, once.) */
static struct table *shared;
static bool made_here; /* this process made the shared table */
#define MAX_PROBES 64

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

/* The pair of key in slots[0..n) (probing at most probes of them), made
 * if missing; NULL if none is free. */
static struct pair *find_in(struct table *t, struct pair *slots, unsigned n, unsigned probes,
			    uint64_t key, const char *event, uint64_t site)
{
	for (unsigned i = 0; i < probes; i++) {
		struct pair *p = &slots[(key + i) % n];
		uint64_t k = __atomic_load_n(&p->key, __ATOMIC_ACQUIRE), none = 0;

		if (k == key)
			return p;
		if (k != 0 && k != 1)
			continue;
		/* before the claim: a fork between the two leaves a child
		 * that still resets the table */
		if (!__atomic_load_n(&t->used, __ATOMIC_RELAXED))
			__atomic_store_n(&t->used, true, __ATOMIC_RELEASE);
		/* The pair's names first, then its key: a finder that sees the
		 * key sees them. */
		if (__atomic_compare_exchange_n(&p->key, &none, 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			p->event = event;
			p->site = site;
			__atomic_store_n(&p->key, key, __ATOMIC_RELEASE);
			return p;
		}
		if (none == key)
			return p;
		if (none == 1) { /* being set up by another thread: look again */
			i--;
			continue;
		}
	}
	return NULL;
}

static struct pair *find(struct table *t, const char *event, uint64_t site)
{
	uint64_t key = mix((uint64_t)(uintptr_t)event ^ mix(site)) | 2;

	return find_in(t, t->pairs, RATE_SLOTS, MAX_PROBES, key, event, site);
}

/* A site the table has no room for: its event's overflow pair. */
static struct pair *find_overflow(struct table *t, const char *event)
{
	uint64_t key = mix((uint64_t)(uintptr_t)event) | 2;

	return find_in(t, t->overflow, RATE_OVERFLOW, RATE_OVERFLOW, key, event, 0);
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
	struct table *t = table();
	struct pair *p;
	bool started, g_started;
	int budget = n;

	flush->count = 0;
	flush->site = site;
	if (n <= 0)
		return true;
	p = find(t, event, site);
	if (!p) {
		/* No room for the site (pairs are never freed: a process that
		 * met 4096 of them): its event's overflow pair, whose budget
		 * is that of many sites, the cap's (regress_rate_limit_full_table) */
		p = find_overflow(t, event);
		budget = n * RATE_GLOBAL_FACTOR;
		flush->site = 0;
		if (!p) /* more event names than RATE_OVERFLOW: never */
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

void ratelimit_give_back(const char *event, uint64_t site, uint32_t count)
{
	struct table *t = table();
	struct pair *p = site ? find(t, event, site) : NULL;

	if (!p)
		p = find_overflow(t, event);
	if (p && count)
		__atomic_add_fetch(&p->suppressed, count, __ATOMIC_ACQ_REL);
}

static void flush_pairs(struct pair *slots, unsigned n,
			void (*fn)(const char *event, uint64_t site, uint32_t count, void *ctx),
			void *ctx)
{
	for (unsigned i = 0; i < n; i++) {
		struct pair *p = &slots[i];
		uint32_t c;

		if (__atomic_load_n(&p->key, __ATOMIC_ACQUIRE) <= 1)
			continue;
		c = __atomic_exchange_n(&p->suppressed, 0, __ATOMIC_ACQ_REL);
		if (c)
			fn(p->event, p->site, c, ctx);
	}
}

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
	struct table *m;

	if (__atomic_load_n(&shared, __ATOMIC_ACQUIRE))
		return; /* shared already */
	m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return; /* the child starts anew, as it did */
	/* (mmap's pages are zero: only what this process counted is copied,
	 * and only then, so that no page is touched for nothing) */
	if (__atomic_load_n(&own.used, __ATOMIC_ACQUIRE)) {
		for (unsigned i = 0; i < RATE_SLOTS; i++)
			if (__atomic_load_n(&own.pairs[i].key, __ATOMIC_ACQUIRE) > 1)
				memcpy(&m->pairs[i], &own.pairs[i], sizeof m->pairs[i]);
		memcpy(m->overflow, own.overflow, sizeof m->overflow);
		m->used = true;
	}
	m->global_window = __atomic_load_n(&own.global_window, __ATOMIC_ACQUIRE);
	m->members = 1;
	made_here = true;
	__atomic_store_n(&shared, m, __ATOMIC_RELEASE);
}

void ratelimit_forked(void)
{
	struct table *t = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);

	made_here = false;
	if (t) {
		__atomic_add_fetch(&t->members, 1, __ATOMIC_ACQ_REL);
		return;
	}
	ratelimit_reset(); /* no shared table: the parent reports what it counted */
}

bool ratelimit_leave(void)
{
	struct table *t = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);

	if (!t)
		return true;
	/* (a member that was never counted in, forked without the fork
	 * handlers, may take it below zero: then the first process reports) */
	return __atomic_sub_fetch(&t->members, 1, __ATOMIC_ACQ_REL) == 0 || made_here;
}

void ratelimit_rejoin(void)
{
	struct table *t = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);

	if (t)
		__atomic_add_fetch(&t->members, 1, __ATOMIC_ACQ_REL);
}

void ratelimit_reset(void)
{
	__atomic_store_n(&shared, NULL, __ATOMIC_RELEASE);
	made_here = false;
	if (!__atomic_load_n(&own.used, __ATOMIC_ACQUIRE) && own.global_window == 0)
		return; /* nothing written: no page copied in a forked child */
	memset(&own, 0, sizeof own);
}
