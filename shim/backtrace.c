/* Backtraces: capture with the shim's own unwinder (unwind.h) on x86_64,
 * elsewhere with libunwind's unw_backtrace (its fast path keeps a
 * per-thread cache of unwind steps by address, so a capture costs well
 * under a microsecond); names of frames from symcache (module, load
 * address and nearest exported symbol, each looked up once). */
#define _GNU_SOURCE
#include "backtrace.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <string.h>

#define UNW_LOCAL_ONLY
#if __has_include(<libunwind.h>)
#include <libunwind.h>
#else
#include "unwind_min.h" /* gcc -m32 on amd64: no i386 libunwind-dev */
#endif

#include "coldmem.h"
#include "record.h"
#include "symcache.h"
#include "unwind.h"

#ifndef UNWIND_SONAME
#define UNWIND_SONAME "libunwind.so.8"
#endif
#define STR_(x) #x
#define STR(x) STR_(x)

/* Room for the shim's own frames, skipped at the top of every capture. */
#define SELF_FRAMES 8

static int (*unwind_fn)(void **, int);
/* Depth of this thread's calls into libunwind.  A signal handler that
 * interrupts it and makes a record must not enter it again: libunwind is
 * not reentrant. */
static __thread volatile int busy __attribute__((tls_model("initial-exec")));
static uintptr_t self_start, self_end; /* the shim's code */

static int find_self(struct dl_phdr_info *info, size_t size, void *ctx)
{
	uintptr_t here = (uintptr_t)ctx;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && here >= start &&
		    here < start + ph->p_memsz) {
			self_start = start;
			self_end = start + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

bool backtrace_disable(void)
{
	return __atomic_exchange_n(&unwind_fn, NULL, __ATOMIC_ACQ_REL) != NULL;
}

static uintptr_t unw_start, unw_end; /* libunwind's code */

#if !defined(__x86_64__)
static int find_unwinder(struct dl_phdr_info *info, size_t size, void *ctx)
{
	uintptr_t base = (uintptr_t)ctx;

	(void)size;
	if (info->dlpi_addr != base)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			unw_start = base + ph->p_vaddr;
			unw_end = unw_start + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}
#endif

bool backtrace_in_progress(const void *caller)
{
	/* busy alone is also true in a signal handler that interrupted the
	 * unwinder: the program's own calls there are not libunwind's */
	return busy > 0 && (uintptr_t)caller >= unw_start && (uintptr_t)caller < unw_end;
}

#if defined(__x86_64__)
bool backtrace_init(void)
{
	/* The shim's own unwinder follows every frame (unwind.h): libunwind
	 * would only make each fork and exit of the program dearer. */
	dl_iterate_phdr(find_self, (void *)(uintptr_t)backtrace_init);
	symcache_init();
	return true;
}
#else
bool backtrace_init(void)
{
	void *h, *ips[4];
	int (*set_policy)(unw_addr_space_t, unw_caching_policy_t);
	unw_addr_space_t *local;

	/* busy: what libunwind does now is the shim's own work; its pipe
	 * lands at private numbers (see pipe2 in pipe_calls.c). */
	busy++;
	h = dlopen(UNWIND_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		/* not installed: the shim's own unwinder still works (init.c
		 * says what is lost) */
		dlerror();
		goto own;
	}
	{
		struct link_map *lm = NULL;

		if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm)
			dl_iterate_phdr(find_unwinder, (void *)lm->l_addr);
	}
	unwind_fn = (int (*)(void **, int))dlsym(h, "unw_backtrace");
	set_policy = (int (*)(unw_addr_space_t, unw_caching_policy_t))dlsym(
		h, STR(unw_set_caching_policy));
	local = (unw_addr_space_t *)dlsym(h, STR(unw_local_addr_space));
	/* No register-state cache: the global one takes a mutex that a
	 * forked child could find held for ever, and Debian's libunwind turns
	 * a per-thread request into the global one.  unw_backtrace keeps its
	 * own per-thread cache of frames by address, which is what makes it
	 * fast; only its misses parse unwind information again. */
	if (set_policy && local)
		set_policy(*local, UNW_CACHE_NONE);
own:
	dl_iterate_phdr(find_self, (void *)(uintptr_t)backtrace_init);
	symcache_init();
	if (unwind_fn)
		unwind_fn(ips, 4);
	busy--;
	return unwind_fn != NULL;
}
#endif

void backtrace_before_fork(void)
{
	unwind_share_across_fork(symcache_permanent);
}

int backtrace_from_frame_pointers(uintptr_t ip, uintptr_t sp, uintptr_t bp, void **ips,
				  int max)
{
	int n = 0;

	if (max > BT_MAX)
		max = BT_MAX;
	if (max > 0)
		ips[n++] = (void *)ip;
	/* The trapped stub has no frame of its own: its return address is at
	 * the stack pointer.  Above it each frame pointer points at the
	 * caller's, with the return address next to it; the chain is followed
	 * only while it climbs the same stack. */
	if (n < max && sp && !(sp & 7))
		ips[n++] = *(void *const *)sp;
	while (n < max && bp > sp && bp - sp < ((uintptr_t)64 << 20) && !(bp & 7)) {
		const uintptr_t *frame = (const uintptr_t *)bp;

		if (!frame[1])
			break;
		ips[n++] = (void *)frame[1];
		if (frame[0] <= bp)
			break;
		bp = frame[0];
	}
	return n;
}

#if !defined(__x86_64__)
/* The frames in buf[n] that are the program's: the shim's own skipped. */
static int program_frames(void *const *buf, int n, void **ips, int max)
{
	int skip = 0, out = 0;

	while (skip < n && (uintptr_t)buf[skip] >= self_start && (uintptr_t)buf[skip] < self_end)
		skip++;
	for (int i = skip; i < n && out < max; i++)
		ips[out++] = buf[i];
	return out;
}
#endif

SHIM_FORK_TEXT
int backtrace_capture_fast(void **ips, int max, struct unwind_cursor *more, uintptr_t site)
{
	return unwind_capture(ips, max > BT_MAX ? BT_MAX : max, self_start, self_end, more, site);
}

int backtrace_resume_fast(struct unwind_cursor *more, void **ips, int max)
{
	return unwind_resume(more, ips, max);
}

#if defined(__x86_64__)
int backtrace_capture(void **ips, int max)
{
	struct unwind_cursor more;
	int n = backtrace_capture_fast(ips, max, &more, 0);

	return n < 0 ? 0 : n;
}
#else
int backtrace_capture(void **ips, int max)
{
	void *buf[BT_MAX + SELF_FRAMES];
	int n, saved;

	int (*fn)(void **, int) = __atomic_load_n(&unwind_fn, __ATOMIC_ACQUIRE);

	if (!fn || busy > 0) /* called from a signal handler inside the unwinder */
		return 0;
	/* libunwind walks the loader's list: not from a handler that
	 * interrupted a walk of the shim's (symcache.h) */
	if (!symcache_walk_begin())
		return 0;
	if (max > BT_MAX)
		max = BT_MAX;
	/* libunwind checks memory with mincore(2) or a pipe where a frame has
	 * no unwind information, which leaves errno changed. */
	saved = errno;
	busy++;
	n = fn(buf, max + SELF_FRAMES);
	busy--;
	symcache_walk_end();
	errno = saved;
	return program_frames(buf, n, ips, max);
}
#endif

/* Writes the frame of ip; whether its module is known. */
static bool add_frame(struct record *r, void *ip, bool lookup)
{
	struct sym_frame f;
	bool known = symcache_lookup((uintptr_t)ip, lookup, &f);

	if (known) {
		f.text.offset = (uintptr_t)ip - f.base;
		if (f.symbol)
			f.text.symbol_off = (uintptr_t)ip - f.symbol_addr;
	} else {
		f.text.module = f.text.symbol = NULL;
	}
	f.text.ip = (uintptr_t)ip;
	rec_frame(r, &f.text);
	return known;
}

/* ---- A call site's frames, written once ----
 *
 * A server reports from a few call sites over and over, and the frames of
 * one site are the same text every time: each address's module, offset
 * and symbol, formatted.  The text of the last backtraces written is kept
 * with the addresses it was made of and the names' generation: a
 * backtrace of the same addresses is then one copy, not a lookup and a
 * formatting per frame.  Kept only if every frame's module was known and
 * the names were looked up (not inside a signal handler, where a frame
 * may lack the symbol a later look-up finds).
 *
 * Each slot is a seqlock like unwind.c's captures: a writer takes it by a
 * compare-and-swap or keeps nothing, never waits; a reader copies and
 * trusts the copy only if seq was even and unchanged, else writes the
 * frames itself.  Every word is an atomic load or store. */

/* What both kinds of slot below begin with: the seqlock word, the names'
 * generation and how many return addresses the slot was made from (kept
 * in the slot's own array). */
struct slot_key {
	uint32_t seq, gen;
	int32_t n;
};

/* Whether key k (its addresses in kept) was made from ips[n] in generation
 * gen and is not being written; *q: its seq, to check again after the
 * slot's contents were read. */
static bool key_matches(struct slot_key *k, const uintptr_t *kept, void *const *ips, int n,
			uint32_t gen, uint32_t *q)
{
	*q = __atomic_load_n(&k->seq, __ATOMIC_ACQUIRE);
	if ((*q & 1) || __atomic_load_n(&k->gen, __ATOMIC_ACQUIRE) != gen ||
	    __atomic_load_n(&k->n, __ATOMIC_ACQUIRE) != n)
		return false;
	for (int i = 0; i < n; i++)
		if (__atomic_load_n(&kept[i], __ATOMIC_ACQUIRE) != (uintptr_t)ips[i])
			return false;
	return true;
}

/* Takes key k for writing ips[n] of generation gen (a compare-and-swap:
 * false, nothing written, if another writer has it); key_release with *q
 * once the slot's contents are written. */
static bool key_take(struct slot_key *k, uintptr_t *kept, void *const *ips, int n, uint32_t gen,
		     uint32_t *q)
{
	*q = __atomic_load_n(&k->seq, __ATOMIC_RELAXED);
	if ((*q & 1) || !__atomic_compare_exchange_n(&k->seq, q, *q + 1, false, __ATOMIC_ACQUIRE,
						     __ATOMIC_RELAXED))
		return false;
	__atomic_store_n(&k->gen, gen, __ATOMIC_RELEASE);
	__atomic_store_n(&k->n, n, __ATOMIC_RELEASE);
	for (int i = 0; i < n; i++)
		__atomic_store_n(&kept[i], (uintptr_t)ips[i], __ATOMIC_RELEASE);
	return true;
}

static void key_release(struct slot_key *k, uint32_t q)
{
	__atomic_store_n(&k->seq, q + 2, __ATOMIC_RELEASE);
}

#define FRAMES_SLOTS 32 /* a power of two */
#define FRAMES_IPS 32
#define FRAMES_WORDS 256 /* 2 KiB of text */

struct frames_slot {
	struct slot_key key;
	uint32_t len;
	uint32_t permanent; /* every frame in a module never unloaded */
	uint32_t pad_; /* text 8-aligned on i386 too */
	uintptr_t ips[FRAMES_IPS];
	uint64_t text[FRAMES_WORDS];
};
_Static_assert(offsetof(struct frames_slot, text) % 8 == 0 && sizeof(struct frames_slot) % 8 == 0,
	       "frames_slot's words 8-aligned (i386: uint64_t is 4-aligned in a struct)");
static struct frames_slot frames_slots[FRAMES_SLOTS];

static struct frames_slot *frames_slot_of(void *const *ips, int n)
{
	uint64_t h = ((uintptr_t)ips[0] ^ (uintptr_t)ips[n - 1] << 7 ^ (uint64_t)n) *
		     0x9e3779b97f4a7c15ULL;

	return &frames_slots[h >> 32 & (FRAMES_SLOTS - 1)];
}

/* The kept text of ips[n], copied into r's array just begun; false if
 * none is kept (r unchanged), or, with permanent_only, if one of its
 * frames lies in a module that can be unloaded. */
static bool frames_replay(struct record *r, void *const *ips, int n, uint32_t gen,
			  bool permanent_only)
{
	struct frames_slot *s = frames_slot_of(ips, n);
	uint32_t q, len, words, i;
	char *d;

	if (!key_matches(&s->key, s->ips, ips, n, gen, &q))
		return false;
	if (permanent_only && !__atomic_load_n(&s->permanent, __ATOMIC_ACQUIRE))
		return false;
	len = __atomic_load_n(&s->len, __ATOMIC_ACQUIRE);
	words = (len + 7) / 8;
	if (len == 0 || words > FRAMES_WORDS || !(d = rec_elements_room(r, words * 8)))
		return false;
	/* four words a turn: a 16-frame text is some 150 words, and the
	 * loop's own count and branch were half of each word's copy */
	for (i = 0; i + 4 <= words; i += 4) {
		uint64_t w0 = __atomic_load_n(&s->text[i], __ATOMIC_ACQUIRE);
		uint64_t w1 = __atomic_load_n(&s->text[i + 1], __ATOMIC_ACQUIRE);
		uint64_t w2 = __atomic_load_n(&s->text[i + 2], __ATOMIC_ACQUIRE);
		uint64_t w3 = __atomic_load_n(&s->text[i + 3], __ATOMIC_ACQUIRE);

		memcpy(d + 8 * i, &w0, 8);
		memcpy(d + 8 * i + 8, &w1, 8);
		memcpy(d + 8 * i + 16, &w2, 8);
		memcpy(d + 8 * i + 24, &w3, 8);
	}
	for (; i < words; i++) {
		uint64_t w = __atomic_load_n(&s->text[i], __ATOMIC_ACQUIRE);

		memcpy(d + 8 * i, &w, 8);
	}
	if (__atomic_load_n(&s->key.seq, __ATOMIC_ACQUIRE) != q)
		return false; /* torn: nothing was committed */
	rec_elements_done(r, len);
	return true;
}

static void frames_keep(const char *text, size_t len, void *const *ips, int n, uint32_t gen,
			bool permanent)
{
	struct frames_slot *s = frames_slot_of(ips, n);
	size_t words = (len + 7) / 8;
	uint32_t q;

	if (n > FRAMES_IPS || len == 0 || words > FRAMES_WORDS ||
	    !key_take(&s->key, s->ips, ips, n, gen, &q))
		return;
	for (size_t i = 0; i < words; i++) {
		uint64_t w = 0;

		memcpy(&w, text + 8 * i, i + 1 < words ? 8 : len - 8 * i);
		__atomic_store_n(&s->text[i], w, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&s->len, (uint32_t)len, __ATOMIC_RELEASE);
	__atomic_store_n(&s->permanent, (uint32_t)permanent, __ATOMIC_RELEASE);
	key_release(&s->key, q);
}

/* What a frame adds to a site id: the hash of its module's file name
 * (symcache.h) continued with its offset in the module. */
static uint64_t frame_part(void *ip, bool lookup)
{
	uintptr_t off = (uintptr_t)ip;
	struct sym_frame f;
	uint64_t h;

	if (symcache_lookup((uintptr_t)ip, lookup, &f))
		off -= f.base;
	h = f.name_hash;
	for (int b = 0; b < 8; b++)
		h = (h ^ ((off >> (8 * b)) & 0xff)) * SYMCACHE_FNV_PRIME;
	return h;
}

/* The sites of the last return addresses seen, so that a site's id (a
 * name look-up and a hash per frame) is made once: kept only when made
 * with the names looked up, given also inside a handler.  Keyed and
 * locked as the frames' slots above (slot_key). */
#define SITE_SLOTS 64 /* a power of two */

struct site_slot {
	struct slot_key key;
	uintptr_t ips[BT_SITE_FRAMES];
	uint64_t site;
};
static struct site_slot site_slots[SITE_SLOTS];

static struct site_slot *site_slot_of(void *const *ips, int n)
{
	uint64_t h = (uint64_t)n;

	for (int i = 0; i < n; i++)
		h = (h ^ (uintptr_t)ips[i]) * 0x9e3779b97f4a7c15ULL;
	return &site_slots[h >> 32 & (SITE_SLOTS - 1)];
}

static bool site_kept(struct site_slot *s, void *const *ips, int n, uint32_t gen, uint64_t *site)
{
	uint32_t q;

	if (!key_matches(&s->key, s->ips, ips, n, gen, &q))
		return false;
	*site = __atomic_load_n(&s->site, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&s->key.seq, __ATOMIC_ACQUIRE) == q;
}

static void site_keep(struct site_slot *s, void *const *ips, int n, uint32_t gen, uint64_t site)
{
	uint32_t q;

	if (!key_take(&s->key, s->ips, ips, n, gen, &q))
		return;
	__atomic_store_n(&s->site, site, __ATOMIC_RELEASE);
	key_release(&s->key, q);
}

uint64_t backtrace_site(void *const *ips, int n, bool lookup)
{
	uint64_t parts[BT_SITE_FRAMES], site;
	uint32_t gen = symcache_generation();
	struct site_slot *s;
	int k = 0;

	if (n > BT_SITE_FRAMES)
		n = BT_SITE_FRAMES;
	s = n > 0 ? site_slot_of(ips, n) : NULL;
	if (s && site_kept(s, ips, n, gen, &site))
		return site;
	for (int i = 0; i < n; i++)
		parts[k++] = frame_part(ips[i], lookup);
	site = backtrace_site_of_parts(parts, k);
	if (s && lookup)
		site_keep(s, ips, n, gen, site);
	return site;
}

uint64_t backtrace_site_of_parts(const uint64_t *parts, int n)
{
	uint64_t h = 0x84222325cbf29ce4ULL;

	for (int i = 0; i < n && i < BT_SITE_FRAMES; i++) {
		h ^= parts[i] + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t backtrace_site_part(const char *module, uint64_t off)
{
	uint64_t h = SYMCACHE_FNV_BASIS; /* symcache's name_hash, then the offset */
	const char *name = module ? module : "";

	for (const char *p = name; *p; p++)
		if (*p == '/')
			name = p + 1;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * SYMCACHE_FNV_PRIME;
	for (int b = 0; b < 8; b++)
		h = (h ^ ((off >> (8 * b)) & 0xff)) * SYMCACHE_FNV_PRIME;
	return h;
}

void backtrace_add(struct record *r, const char *key, void *const *ips, int n, bool lookup)
{
	bool keep = lookup && n > 0 && n <= FRAMES_IPS && !r->truncated, permanent = true;
	uint32_t gen = symcache_generation();
	size_t start;

	rec_array_begin(r, key);
	/* The kept text of these very frames, all in modules never unloaded:
	 * no unloading can have made it stale, so the check below is not
	 * needed (it would find them permanent and skip the walk too). */
	if (keep && frames_replay(r, ips, n, gen, true)) {
		rec_array_end(r);
		return;
	}
	/* a module unloaded behind the wrapper's back: names and unwinding
	 * rules of its addresses are stale (checked once per record that has
	 * a frame in a module that can be unloaded: the check walks the
	 * loader's list with every signal blocked, two system calls) */
	if (lookup && !(permanent = symcache_permanent(ips, n))) {
		if (symcache_sync())
			unwind_invalidate();
		/* after the check: another thread's may have found the unload */
		gen = symcache_generation();
	}
	if (keep && !permanent && frames_replay(r, ips, n, gen, false)) {
		rec_array_end(r);
		return;
	}
	start = r->len;
	for (int i = 0; i < n; i++) {
		bool was_full = r->full;

		keep &= add_frame(r, ips[i], lookup);
		if (r->full) { /* the frame did not fit (none of it was written): cut here */
			r->full = was_full;
			r->truncated = true;
			break;
		}
	}
	if (keep && !r->truncated && !r->full && r->len > start)
		frames_keep(r->buf + start, r->len - start, ips, n, gen, permanent);
	rec_array_end(r);
}
