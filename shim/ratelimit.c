/* Rate limiting of records (see ratelimit.h).
 *
 * Each pair's window is one 64-bit word, (window start << 32 | records
 * written in it), changed by compare-and-swap; its suppressed count is a
 * separate counter, taken (exchanged to 0) by whoever starts the next
 * window, so that every refused record is counted exactly once. */
#include "ratelimit.h"

#include <string.h>

struct pair {
	uint64_t key;	 /* 0: free */
	const char *event;
	uint64_t site;
	uint64_t window; /* start << 32 | written */
	uint32_t suppressed;
};

static struct pair pairs[RATE_SLOTS];
/* Whether any pair was ever taken: most processes never limit anything,
 * and a forked child's reset and every exit's flush must then not touch
 * the table (a read or write of each of its pages costs a fault there). */
static bool pairs_used;
static uint64_t global_window;
#define MAX_PROBES 64

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static struct pair *find(const char *event, uint64_t site)
{
	uint64_t key = mix((uint64_t)(uintptr_t)event ^ mix(site)) | 1;

	for (unsigned i = 0; i < MAX_PROBES; i++) {
		struct pair *p = &pairs[(key + i) % RATE_SLOTS];
		uint64_t k = __atomic_load_n(&p->key, __ATOMIC_ACQUIRE), none = 0;

		if (k == key)
			return p;
		if (k != 0)
			continue;
		/* The pair's names first, then its key: a finder that sees the
		 * key sees them. */
		if (__atomic_compare_exchange_n(&p->key, &none, 1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			if (!__atomic_load_n(&pairs_used, __ATOMIC_RELAXED))
				__atomic_store_n(&pairs_used, true, __ATOMIC_RELEASE);
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
		     uint32_t *flush_count)
{
	struct pair *p;
	bool started, g_started;

	*flush_count = 0;
	if (n <= 0)
		return true;
	p = find(event, site);
	if (!p) {
		/* The table is full: written (nothing could report a count for
		 * it), but it uses up the process-wide cap for the others. */
		take(&global_window, now_s, n * RATE_GLOBAL_FACTOR, window_s, &g_started);
		return true;
	}
	if (!take(&p->window, now_s, n, window_s, &started)) {
		__atomic_add_fetch(&p->suppressed, 1, __ATOMIC_ACQ_REL);
		return false;
	}
	if (started)
		*flush_count = __atomic_exchange_n(&p->suppressed, 0, __ATOMIC_ACQ_REL);
	if (!take(&global_window, now_s, n * RATE_GLOBAL_FACTOR, window_s, &g_started)) {
		/* the process-wide cap: counted at the pair, reported with it */
		__atomic_add_fetch(&p->suppressed, 1, __ATOMIC_ACQ_REL);
		return false;
	}
	return true;
}

void ratelimit_flush(void (*fn)(const char *event, uint64_t site, uint32_t count, void *ctx),
		     void *ctx)
{
	if (!__atomic_load_n(&pairs_used, __ATOMIC_ACQUIRE))
		return;
	for (unsigned i = 0; i < RATE_SLOTS; i++) {
		struct pair *p = &pairs[i];
		uint32_t n;

		if (__atomic_load_n(&p->key, __ATOMIC_ACQUIRE) <= 1)
			continue;
		n = __atomic_exchange_n(&p->suppressed, 0, __ATOMIC_ACQ_REL);
		if (n)
			fn(p->event, p->site, n, ctx);
	}
}

void ratelimit_reset(void)
{
	if (__atomic_load_n(&pairs_used, __ATOMIC_ACQUIRE))
		memset(pairs, 0, sizeof pairs);
	pairs_used = false;
	global_window = 0;
}
