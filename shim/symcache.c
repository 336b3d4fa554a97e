/* Names of code addresses, looked up once (see symcache.h). */
#define _GNU_SOURCE
#include "symcache.h"

#include <dlfcn.h>
#include <elf.h>
#include <limits.h>
#include <stddef.h>
#include <link.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <gnu/libc-version.h>

/* glibc 2.35 and later: lock-free, safe in a forked child. */
#pragma weak _dl_find_object
#include <sys/mman.h>
#include <sys/single_threaded.h>
#include <unistd.h>

#include "record.h"
#include "sys.h"

/* ELF64_ST_TYPE and ELF32_ST_TYPE are the same, as are the _BIND ones */
#define SYM_TYPE(info) ((info) & 0xf)
#define SYM_BIND(info) ((info) >> 4)

/* sym_frame's names lie where rec_frame reads them (symcache.h) */
_Static_assert(offsetof(struct sym_frame, module) == offsetof(struct rec_frame, module) &&
		       offsetof(struct sym_frame, symbol) == offsetof(struct rec_frame, symbol) &&
		       offsetof(struct sym_frame, module_len) ==
			       offsetof(struct rec_frame, module_len) &&
		       offsetof(struct sym_frame, symbol_len) ==
			       offsetof(struct rec_frame, symbol_len) &&
		       offsetof(struct sym_frame, module_plain) ==
			       offsetof(struct rec_frame, module_plain) &&
		       offsetof(struct sym_frame, symbol_plain) ==
			       offsetof(struct rec_frame, symbol_plain),
	       "struct sym_frame's names overlay struct rec_frame's");

static char exe_path[PATH_MAX]; /* the main program's module */

/* Bumped when a dlclose unmapped something: entries of another
 * generation are stale. */
static uint32_t generation;

/* A forked child of a multi-threaded parent: glibc does not reset
 * dl_iterate_phdr's lock in the child, and another thread may have held it
 * at the fork; such a child never calls it (names come from
 * the module table, symbols only from the cache). */
static bool no_iterate;

void symcache_before_fork(void)
{
	/* read in the parent, seen by the child as it was at the fork */
	if (!__libc_single_threaded)
		__atomic_store_n(&no_iterate, true, __ATOMIC_RELAXED);
}

void symcache_after_fork_parent(void)
{
	if (__atomic_load_n(&no_iterate, __ATOMIC_RELAXED))
		__atomic_store_n(&no_iterate, false, __ATOMIC_RELAXED);
}

bool symcache_loader_walkable(void)
{
	return !__atomic_load_n(&no_iterate, __ATOMIC_RELAXED);
}

/* ---- Names copied into the shim's own memory ---------------------------
 *
 * Every name a record writes comes from here, never from the loader's
 * memory: a module unloaded behind the shim's back (a dlclose it did not
 * see, or one racing a record) takes its strings with it.  An append-only
 * arena of mmap'd chunks, claimed by compare-and-swap. */
#define ARENA_CHUNK (256 * 1024)
#define ARENA_CHUNKS 64 /* 16 MiB of names at most */
#define NAME_MAX_COPY 4096
static char *arena[ARENA_CHUNKS];
static uint64_t arena_at; /* chunk << 32 | offset in it */

static const char *arena_copy(const char *s, size_t n)
{
	uint64_t at = __atomic_load_n(&arena_at, __ATOMIC_RELAXED), next;
	uint32_t chunk, off;
	char *base, *expected = NULL;

	if (n >= NAME_MAX_COPY)
		return NULL;
	do {
		chunk = (uint32_t)(at >> 32);
		off = (uint32_t)at;
		if (off + n + 1 > ARENA_CHUNK) {
			chunk++;
			off = 0;
		}
		if (chunk >= ARENA_CHUNKS)
			return NULL;
		next = (uint64_t)chunk << 32 | (off + n + 1);
	} while (!__atomic_compare_exchange_n(&arena_at, &at, next, true, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	base = __atomic_load_n(&arena[chunk], __ATOMIC_ACQUIRE);
	if (!base) {
#ifdef SYS_mmap2 /* i386: SYS_mmap is the old one, of a struct */
		long m = SYS6(SYS_mmap2, 0, ARENA_CHUNK, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#else
		long m = SYS6(SYS_mmap, 0, ARENA_CHUNK, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#endif

		if (m < 0 && m > -4096)
			return NULL;
		if (__atomic_compare_exchange_n(&arena[chunk], &expected, (char *)m, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			base = (char *)m;
		} else {
			SYS6(SYS_munmap, m, ARENA_CHUNK, 0, 0, 0, 0);
			base = expected;
		}
	}
	memcpy(base + off, s, n);
	base[off + n] = '\0';
	return base + off;
}

/* ---- Interned names: a module's, a symbol's, copied once ---------------- */

/* A name in the arena: immutable once written. */
struct name {
	const char *s; /* NULL: none */
	uint32_t len;
	bool plain; /* needs no escaping in JSON (rec_plain) */
};

/* Each keyed by two words and the generation.  A writer claims a slot
 * (free, or of an older generation) by a compare-and-swap of k1, clears
 * its name, fills it and publishes the name last; a reader trusts what it
 * copied only if the keys and generation read the same after the copy. */
#define INTERN_SLOTS 8192
#define INTERN_PROBES 16
struct intern {
	uintptr_t k1, k2;
	uint32_t gen, len;
	bool plain;
	const char *s; /* NULL while being filled */
};
static struct intern interned[INTERN_SLOTS];

static bool intern_get(struct intern *e, uintptr_t k1, uintptr_t k2, uint32_t gen,
		       struct name *out)
{
	if (__atomic_load_n(&e->k1, __ATOMIC_ACQUIRE) != k1 ||
	    __atomic_load_n(&e->k2, __ATOMIC_ACQUIRE) != k2 ||
	    __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) != gen)
		return false;
	out->s = __atomic_load_n(&e->s, __ATOMIC_ACQUIRE);
	out->len = __atomic_load_n(&e->len, __ATOMIC_ACQUIRE);
	out->plain = __atomic_load_n(&e->plain, __ATOMIC_ACQUIRE);
	return out->s && __atomic_load_n(&e->k1, __ATOMIC_ACQUIRE) == k1 &&
	       __atomic_load_n(&e->k2, __ATOMIC_ACQUIRE) == k2 &&
	       __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) == gen;
}

/* The copy of s (at most max bytes of it read) interned under (k1, k2);
 * {NULL} when it cannot be kept. */
static struct name intern(uintptr_t k1, uintptr_t k2, uint32_t gen, const char *s, size_t max)
{
	uint64_t h = (k1 * 0x9e3779b97f4a7c15ULL) ^ (k2 * 0xc2b2ae3d27d4eb4fULL);
	struct name out = {NULL, 0, false};

	k1 += 1; /* 0 marks a free slot; a load address may be 0 */
	for (unsigned i = 0; i < INTERN_PROBES; i++) {
		struct intern *e = &interned[(unsigned)((h >> 40) + i) % INTERN_SLOTS];
		uintptr_t k = __atomic_load_n(&e->k1, __ATOMIC_ACQUIRE);

		if (intern_get(e, k1, k2, gen, &out))
			return out;
		if (k == k1 && __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) == gen)
			return out; /* being filled by another thread: {NULL} */
		if (k != 0 && __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) == gen)
			continue;
		if (__atomic_compare_exchange_n(&e->k1, &k, k1, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE)) {
			size_t n = strnlen(s, max);

			__atomic_store_n(&e->s, NULL, __ATOMIC_RELEASE);
			out.s = arena_copy(s, n);
			out.len = (uint32_t)n;
			out.plain = rec_plain(s, n);
			__atomic_store_n(&e->len, out.len, __ATOMIC_RELEASE);
			__atomic_store_n(&e->plain, out.plain, __ATOMIC_RELEASE);
			__atomic_store_n(&e->k2, k2, __ATOMIC_RELEASE);
			__atomic_store_n(&e->gen, gen, __ATOMIC_RELEASE);
			/* out of room: the slot stays, without a name */
			__atomic_store_n(&e->s, out.s, __ATOMIC_RELEASE);
			return out;
		}
	}
	return out;
}

/* ---- The cache: address -> names ---------------------------------------- */

/* A slot is a seqlock whose writer never waits: it takes the slot by
 * moving seq from even to odd with a compare-and-swap, or gives up (the
 * name is then not cached, no more); a reader copies the fields and
 * trusts them only if seq was even and unchanged around the copy.  Every
 * access is atomic (acquire/release, no fences: ThreadSanitizer does not
 * model them). */
struct slot {
	uint32_t seq, gen;
	uintptr_t ip, base, symbol_addr;
	const char *module, *symbol;
	uint32_t module_len, symbol_len;
	bool module_plain, symbol_plain;
	uint64_t name_hash;
};
static struct slot cache[SYMCACHE_SLOTS];

/* Modules that are never unloaded, as address ranges: the loader unloads
 * only what dlopen loaded (lt_loaded), never the main program or what came
 * with it.  Here: the main program, libc, the loader and the shim; found with
 * _dl_find_object, so none without it.  An address in one of them never
 * names another module: what is cached for it stays true whatever is
 * unloaded. */
#define PERMANENT_MAX 4
static struct {
	uintptr_t lo, hi;
} permanent[PERMANENT_MAX];
static int n_permanent;

/* Adds the module of addr to permanent[*n] (not yet published). */
static void note_permanent(const void *addr, int *n)
{
	struct dl_find_object o;

	if (*n == PERMANENT_MAX || !addr || _dl_find_object((void *)addr, &o) != 0)
		return;
	for (int i = 0; i < *n; i++)
		if (permanent[i].lo == (uintptr_t)o.dlfo_map_start)
			return;
	permanent[*n].lo = (uintptr_t)o.dlfo_map_start;
	permanent[*n].hi = (uintptr_t)o.dlfo_map_end;
	(*n)++;
}

bool symcache_permanent(void *const *ips, int n)
{
	int np = __atomic_load_n(&n_permanent, __ATOMIC_ACQUIRE), k = 0;

	for (int i = 0; i < n; i++) {
		uintptr_t ip = (uintptr_t)ips[i];

		/* frames come in runs of one module: the last one's first */
		if (k < np && ip >= permanent[k].lo && ip < permanent[k].hi)
			continue;
		for (k = 0; k < np && (ip < permanent[k].lo || ip >= permanent[k].hi); k++)
			;
		if (k == np)
			return false;
	}
	return true;
}

void symcache_init(void)
{
	ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
	struct sym_frame f;

	exe_path[n > 0 ? n : 0] = '\0';
	/* the module table from the start, for records made in a handler */
	symcache_lookup((uintptr_t)symcache_init, true, &f);
	/* (once: the ranges are read without a lock once published) */
	if (_dl_find_object && __atomic_load_n(&n_permanent, __ATOMIC_ACQUIRE) == 0) {
		int np = 0;

		/* (by addresses that are surely the module's own: the address of
		 * a function another module calls may be a stub in a program
		 * built without PIE) */
		note_permanent((const void *)getauxval(AT_ENTRY), &np);
		note_permanent(gnu_get_libc_version(), &np); /* a string of libc's */
		note_permanent((const void *)getauxval(AT_BASE), &np);
		note_permanent((const void *)(uintptr_t)symcache_init, &np);
		__atomic_store_n(&n_permanent, np, __ATOMIC_RELEASE);
	}
}

void symcache_invalidate(void)
{
	__atomic_add_fetch(&generation, 1, __ATOMIC_ACQ_REL);
}

/* This thread is inside a walk of the loader's list for the shim (its
 * own, or libunwind's for it). */
static __thread volatile int walking __attribute__((tls_model("initial-exec")));

bool symcache_walk_begin(void)
{
	if (walking)
		return false;
	walking = 1;
	return true;
}

void symcache_walk_end(void)
{
	walking = 0;
}

/* dl_iterate_phdr, unless this thread is inside a walk of the shim's
 * already: a signal handler that interrupts a walk and walks again waits
 * for ever on the walk's lock if the interrupted one was leaving it (glibc's
 * recursive lock, between clearing its owner and its count: the signals
 * test hung there once in six) or holds it (a sanitizer runtime's
 * interceptor).  Such a handler's look-up finds nothing instead.
 * With every signal blocked all the same (two system calls per record): a
 * handler that siglongjmps out of the close being recorded (a timer's, the
 * timeout pattern of old servers) would otherwise leave the loader's lock
 * held for ever, every other thread's walk, dlopen and libunwind waiting on
 * it (regress_longjmp_out_of_walk).  The walk's end is marked before the
 * mask is restored: a handler then run that jumps leaves no flag set.
 * Returns whether it walked. */
static bool iterate_once(int (*fn)(struct dl_phdr_info *, size_t, void *), void *ctx)
{
	sigset_t all, old;

	sigfillset(&all);
	if (sys_sigprocmask(SIG_SETMASK, &all, &old) != 0)
		return false;
	if (!symcache_walk_begin()) {
		sys_sigprocmask(SIG_SETMASK, &old, NULL);
		return false;
	}
	dl_iterate_phdr(fn, ctx);
	symcache_walk_end();
	sys_sigprocmask(SIG_SETMASK, &old, NULL);
	return true;
}

static int count_unloads(struct dl_phdr_info *info, size_t size, void *ctx)
{
	(void)size;
	*(unsigned long long *)ctx = info->dlpi_subs;
	return 1;
}

bool symcache_unloads(unsigned long long *n)
{
	*n = 0;
	if (__atomic_load_n(&no_iterate, __ATOMIC_RELAXED))
		return false;
	return iterate_once(count_unloads, n);
}

bool symcache_sync(void)
{
	static unsigned long long seen;
	unsigned long long now;

	if (!symcache_unloads(&now))
		return false;
	if (now == __atomic_load_n(&seen, __ATOMIC_RELAXED))
		return false;
	__atomic_store_n(&seen, now, __ATOMIC_RELAXED);
	symcache_invalidate();
	return true;
}

static bool seq_try_write(uint32_t *seq, uint32_t *was)
{
	uint32_t s = __atomic_load_n(seq, __ATOMIC_RELAXED);

	if (s & 1)
		return false;
	*was = s;
	return __atomic_compare_exchange_n(seq, &s, s + 1, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_RELAXED);
}

/* Four ways per set: two hot addresses that hash alike must not take
 * turns evicting each other (each miss is a scan of a symbol table). */
#define WAYS 4

static struct slot *set_of(uintptr_t ip)
{
	unsigned sets = SYMCACHE_SLOTS / WAYS;

	return &cache[(unsigned)((ip * 0x9e3779b97f4a7c15ULL) >> 40) % sets * WAYS];
}

static bool slot_get(struct slot *s, uintptr_t ip, uint32_t gen, struct sym_frame *f)
{
	uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);

	if ((seq & 1) || __atomic_load_n(&s->ip, __ATOMIC_ACQUIRE) != ip ||
	    __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) != gen)
		return false;
	f->module = __atomic_load_n(&s->module, __ATOMIC_ACQUIRE);
	f->module_len = __atomic_load_n(&s->module_len, __ATOMIC_ACQUIRE);
	f->module_plain = __atomic_load_n(&s->module_plain, __ATOMIC_ACQUIRE);
	f->symbol = __atomic_load_n(&s->symbol, __ATOMIC_ACQUIRE);
	f->symbol_len = __atomic_load_n(&s->symbol_len, __ATOMIC_ACQUIRE);
	f->symbol_plain = __atomic_load_n(&s->symbol_plain, __ATOMIC_ACQUIRE);
	f->base = __atomic_load_n(&s->base, __ATOMIC_ACQUIRE);
	f->symbol_addr = __atomic_load_n(&s->symbol_addr, __ATOMIC_ACQUIRE);
	f->name_hash = __atomic_load_n(&s->name_hash, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) == seq && f->module;
}

static bool cache_get(uintptr_t ip, uint32_t gen, struct sym_frame *f)
{
	struct slot *set = set_of(ip);

	for (int w = 0; w < WAYS; w++)
		if (slot_get(&set[w], ip, gen, f))
			return true;
	return false;
}

static void cache_put(uintptr_t ip, uint32_t gen, const struct sym_frame *f)
{
	struct slot *set = set_of(ip), *s = NULL;
	uint32_t seq;

	/* an empty or stale way, else one chosen by the address */
	for (int w = 0; w < WAYS && !s; w++)
		if (__atomic_load_n(&set[w].ip, __ATOMIC_RELAXED) == 0 ||
		    __atomic_load_n(&set[w].gen, __ATOMIC_RELAXED) != gen)
			s = &set[w];
	if (!s)
		s = &set[(ip >> 4) % WAYS];
	if (!seq_try_write(&s->seq, &seq))
		return;
	__atomic_store_n(&s->ip, ip, __ATOMIC_RELEASE);
	__atomic_store_n(&s->gen, gen, __ATOMIC_RELEASE);
	__atomic_store_n(&s->module, f->module, __ATOMIC_RELEASE);
	__atomic_store_n(&s->module_len, f->module_len, __ATOMIC_RELEASE);
	__atomic_store_n(&s->module_plain, f->module_plain, __ATOMIC_RELEASE);
	__atomic_store_n(&s->symbol, f->symbol, __ATOMIC_RELEASE);
	__atomic_store_n(&s->symbol_len, f->symbol_len, __ATOMIC_RELEASE);
	__atomic_store_n(&s->symbol_plain, f->symbol_plain, __ATOMIC_RELEASE);
	__atomic_store_n(&s->base, f->base, __ATOMIC_RELEASE);
	__atomic_store_n(&s->symbol_addr, f->symbol_addr, __ATOMIC_RELEASE);
	__atomic_store_n(&s->name_hash, f->name_hash, __ATOMIC_RELEASE);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

/* ---- The modules seen by the last look-up --------------------------------
 *
 * For frames named without a look-up (inside a signal handler, in a child
 * forked by a multi-threaded process): a lock-free table of address
 * ranges and interned names, rewritten by whoever takes it at each
 * look-up.  (A module loaded since is not in it: its frames get no
 * module, the report still has their addresses.) */
#define MODULES 256
struct module {
	uintptr_t lo, hi, base;
	const char *name;
	uint32_t len;
	bool plain;
};
static struct {
	uint32_t seq, gen, n;
	struct module m[MODULES];
} modules;

static bool modules_get(uintptr_t ip, uint32_t gen, struct sym_frame *f)
{
	uint32_t seq = __atomic_load_n(&modules.seq, __ATOMIC_ACQUIRE);
	uint32_t n = __atomic_load_n(&modules.n, __ATOMIC_ACQUIRE);
	bool found = false;

	if ((seq & 1) || __atomic_load_n(&modules.gen, __ATOMIC_ACQUIRE) != gen)
		return false;
	for (uint32_t i = 0; i < n && i < MODULES && !found; i++) {
		struct module *m = &modules.m[i];

		if (ip >= __atomic_load_n(&m->lo, __ATOMIC_ACQUIRE) &&
		    ip < __atomic_load_n(&m->hi, __ATOMIC_ACQUIRE)) {
			f->module = __atomic_load_n(&m->name, __ATOMIC_ACQUIRE);
			f->module_len = __atomic_load_n(&m->len, __ATOMIC_ACQUIRE);
			f->module_plain = __atomic_load_n(&m->plain, __ATOMIC_ACQUIRE);
			f->base = __atomic_load_n(&m->base, __ATOMIC_ACQUIRE);
			found = f->module != NULL;
		}
	}
	return found && __atomic_load_n(&modules.seq, __ATOMIC_ACQUIRE) == seq;
}

/* ---- Looking an address up ---------------------------------------------- */

static uint64_t hash_file_name(const char *path, size_t n)
{
	uint64_t h = SYMCACHE_FNV_BASIS;
	const char *name = path;

	for (size_t i = 0; i < n; i++)
		if (path[i] == '/')
			name = path + i + 1;
	for (const char *p = name; p < path + n; p++)
		h = (h ^ (unsigned char)*p) * SYMCACHE_FNV_PRIME;
	return h;
}

/* A module's name, interned under its load address and the loader's
 * string (the main program's is "": its path instead). */
static struct name module_name(uintptr_t base, const char *l_name, uint32_t gen)
{
	const char *path = l_name && l_name[0] ? l_name : exe_path;

	return intern(base, (uintptr_t)l_name | 1, gen, path, PATH_MAX);
}

/* A pointer of the dynamic section: the loader relocates most in place,
 * but not every object's (the vDSO's stays as linked). */
static uintptr_t dyn_ptr(uintptr_t base, ElfW(Addr) v)
{
	return v < base ? base + v : v;
}

/* How many entries the dynamic symbol table has: from the GNU hash table
 * (the highest symbol a bucket or chain reaches), else the SysV one. */
static uint32_t count_symbols(const uint32_t *gnu, const uint32_t *sysv)
{
	if (gnu) {
		uint32_t nbuckets = gnu[0], symoffset = gnu[1], bloom = gnu[2];
		const uint32_t *buckets =
			(const uint32_t *)((const ElfW(Addr) *)(gnu + 4) + bloom);
		const uint32_t *chain = buckets + nbuckets;
		uint32_t last = 0;

		for (uint32_t b = 0; b < nbuckets; b++)
			if (buckets[b] > last)
				last = buckets[b];
		if (last < symoffset)
			return symoffset;
		while (!(chain[last - symoffset] & 1))
			last++;
		return last + 1;
	}
	return sysv ? sysv[1] : 0;
}

/* The exported symbol of the call before return address ip, as dladdr
 * chooses one (nearest at or below, within its size), its name interned:
 * called with the loader's list locked (the module cannot be unmapped
 * while its tables are read and its name copied).  Looked up at ip - 1,
 * as gdb, addr2line's users and sockshim-report do: a call to a function
 * that never returns (exit, abort, an error handler) may be the last
 * instruction of its function, and its return address the first of the
 * next one, whose name the frame took (regress_frame_after_noreturn_call).
 * (A frame a signal interrupted has its exact address: named so too, it
 * is wrong only at the first instruction of a function.) */
static struct name find_symbol(uintptr_t base, const ElfW(Dyn) *dyn, const char *l_name,
			       uintptr_t ret, uint32_t gen, uintptr_t *addr_out)
{
	uintptr_t ip = ret - 1;
	const ElfW(Sym) *symtab = NULL, *match = NULL;
	const char *strtab = NULL;
	const uint32_t *gnu = NULL, *sysv = NULL;
	size_t strsz = 0;
	uint32_t first, n;

	if (!dyn)
		return (struct name){NULL, 0, false};
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB: symtab = (const ElfW(Sym) *)dyn_ptr(base, dyn->d_un.d_ptr); break;
		case DT_STRTAB: strtab = (const char *)dyn_ptr(base, dyn->d_un.d_ptr); break;
		case DT_STRSZ: strsz = dyn->d_un.d_val; break;
		case DT_GNU_HASH: gnu = (const uint32_t *)dyn_ptr(base, dyn->d_un.d_ptr); break;
		case DT_HASH: sysv = (const uint32_t *)dyn_ptr(base, dyn->d_un.d_ptr); break;
		default: break;
		}
	}
	if (!symtab || !strtab)
		return (struct name){NULL, 0, false};
	n = count_symbols(gnu, sysv);
	/* the GNU table hashes only the exported symbols, from symoffset on */
	first = gnu ? gnu[1] : 1;
	for (uint32_t i = first; i < n; i++) {
		const ElfW(Sym) *s = &symtab[i];
		uintptr_t addr = base + s->st_value;

		if ((s->st_shndx == SHN_UNDEF && s->st_value == 0) || s->st_shndx == SHN_ABS ||
		    SYM_TYPE(s->st_info) == STT_TLS || s->st_name >= strsz ||
		    (!gnu && SYM_BIND(s->st_info) == STB_LOCAL))
			continue;
		if (ip < addr)
			continue;
		if ((s->st_shndx == SHN_UNDEF || s->st_size == 0) ? ip != addr
								  : ip >= addr + s->st_size)
			continue;
		if (!match || match->st_value < s->st_value)
			match = s;
	}
	if (!match)
		return (struct name){NULL, 0, false};
	*addr_out = base + match->st_value;
	return intern(*addr_out, (uintptr_t)l_name, gen, strtab + match->st_name,
		      strsz - match->st_name);
}

struct look {
	uintptr_t ip;
	uint32_t gen;
	bool found;
	uint32_t n; /* modules noted in the table (MODULES: not writing it) */
	struct name module, symbol;
	uintptr_t base, symbol_addr;
};

static int look_module(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct look *l = ctx;
	uintptr_t lo = UINTPTR_MAX, hi = 0;

	(void)size;
	/* the module's whole mapping, gaps between its segments included
	 * (as dladdr and _dl_find_object see it) */
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD)
			continue;
		if (start < lo)
			lo = start;
		if (start + ph->p_memsz > hi)
			hi = start + ph->p_memsz;
	}
	if (lo >= hi)
		return 0;
	if (l->n < MODULES) {
		struct module *m = &modules.m[l->n++];
		struct name name = module_name(info->dlpi_addr, info->dlpi_name, l->gen);

		__atomic_store_n(&m->lo, lo, __ATOMIC_RELEASE);
		__atomic_store_n(&m->hi, hi, __ATOMIC_RELEASE);
		__atomic_store_n(&m->base, (uintptr_t)info->dlpi_addr, __ATOMIC_RELEASE);
		__atomic_store_n(&m->name, name.s, __ATOMIC_RELEASE);
		__atomic_store_n(&m->len, name.len, __ATOMIC_RELEASE);
		__atomic_store_n(&m->plain, name.plain, __ATOMIC_RELEASE);
	}
	if (l->found || l->ip < lo || l->ip >= hi)
		return 0;
	l->found = true;
	l->base = info->dlpi_addr;
	l->module = module_name(info->dlpi_addr, info->dlpi_name, l->gen);
	{
		const ElfW(Dyn) *dyn = NULL;

		for (int i = 0; i < info->dlpi_phnum; i++)
			if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
				dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
		l->symbol = find_symbol(info->dlpi_addr, dyn, info->dlpi_name, l->ip, l->gen,
					&l->symbol_addr);
	}
	return 0;
}

/* A look-up through the loader's list: the module, its symbol, and the
 * table of every module rewritten on the way. */
__attribute__((noinline)) static bool scan(uintptr_t ip, uint32_t gen, struct sym_frame *f)
{
	struct look l = {.ip = ip, .gen = gen};
	uint32_t seq;
	bool table = seq_try_write(&modules.seq, &seq);

	if (!table)
		l.n = MODULES;
	if (!iterate_once(look_module, &l)) {
		if (table) /* nothing written: the table as it was */
			__atomic_store_n(&modules.seq, seq + 2, __ATOMIC_RELEASE);
		return false;
	}
	if (table) {
		__atomic_store_n(&modules.n, l.n, __ATOMIC_RELEASE);
		__atomic_store_n(&modules.gen, gen, __ATOMIC_RELEASE);
		__atomic_store_n(&modules.seq, seq + 2, __ATOMIC_RELEASE);
	}
	if (!l.found || !l.module.s)
		return false;
	f->module = l.module.s;
	f->module_len = l.module.len;
	f->module_plain = l.module.plain;
	f->base = l.base;
	f->name_hash = hash_file_name(l.module.s, l.module.len);
	if (l.symbol.s) {
		f->symbol = l.symbol.s;
		f->symbol_len = l.symbol.len;
		f->symbol_plain = l.symbol.plain;
		f->symbol_addr = l.symbol_addr;
	}
	cache_put(ip, gen, f);
	return true;
}

/* A look-up in a child forked by a multi-threaded process, which must not
 * call dl_iterate_phdr (its lock may be held for ever there): the module
 * from _dl_find_object (lock-free), its symbols read through its link map.
 * The child runs alone after the fork, so nothing unloads the module under
 * the read; a child that starts threads and unloads modules while they
 * make records takes that chance (the names are copies all the same). */
__attribute__((noinline)) static bool scan_in_child(uintptr_t ip, uint32_t gen,
						    struct sym_frame *f)
{
	struct dl_find_object o;
	struct name module, symbol;
	const struct link_map *lm;

	if (!_dl_find_object || _dl_find_object((void *)ip, &o) != 0 || !o.dlfo_link_map)
		return false;
	lm = o.dlfo_link_map;
	module = module_name(lm->l_addr, lm->l_name, gen);
	if (!module.s)
		return false;
	f->module = module.s;
	f->module_len = module.len;
	f->module_plain = module.plain;
	f->base = lm->l_addr;
	f->name_hash = hash_file_name(module.s, module.len);
	symbol = find_symbol(lm->l_addr, lm->l_ld, lm->l_name, ip, gen, &f->symbol_addr);
	if (symbol.s) {
		f->symbol = symbol.s;
		f->symbol_len = symbol.len;
		f->symbol_plain = symbol.plain;
	}
	cache_put(ip, gen, f);
	return true;
}

uint32_t symcache_generation(void)
{
	return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

bool symcache_lookup(uintptr_t ip, bool lookup, struct sym_frame *f)
{
	uint32_t gen = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);

	*f = (struct sym_frame){.name_hash = SYMCACHE_FNV_BASIS};
	if (cache_get(ip, gen, f))
		return true;
	*f = (struct sym_frame){.name_hash = SYMCACHE_FNV_BASIS};
	if (lookup && !__atomic_load_n(&no_iterate, __ATOMIC_RELAXED))
		return scan(ip, gen, f);
	if (lookup && scan_in_child(ip, gen, f))
		return true;
	/* Inside a handler: the module from the table, no symbol, nothing
	 * kept (a later look-up outside a handler finds the symbol). */
	if (!modules_get(ip, gen, f))
		return false;
	f->name_hash = hash_file_name(f->module, f->module_len);
	return true;
}
