/* Names of code addresses, looked up once (see symcache.h). */
#define _GNU_SOURCE
#include "symcache.h"

#include <elf.h>
#include <limits.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "record.h"

/* ELF64_ST_TYPE and ELF32_ST_TYPE are the same, as are the _BIND ones */
#define SYM_TYPE(info) ((info) & 0xf)
#define SYM_BIND(info) ((info) >> 4)

static char exe_path[PATH_MAX]; /* the main program's module */

/* Bumped by every dlclose: entries of another generation are stale. */
static uint32_t generation;

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
	uint64_t name_hash;
	uint32_t module_len, symbol_len;
	bool module_plain, symbol_plain;
};
static struct slot cache[SYMCACHE_SLOTS];

/* The modules seen by the last look-up, for frames named inside a signal
 * handler (no look-up there): address range, load address, path. */
struct module {
	uintptr_t lo, hi, base;
	const char *name;
	uint64_t name_hash;
	uint32_t name_len;
	bool name_plain;
};
static struct {
	uint32_t seq, gen, n;
	struct module m[SYMCACHE_MODULES];
} modules;

void symcache_init(void)
{
	ssize_t n = readlink("/proc/self/exe", exe_path, sizeof exe_path - 1);
	struct sym_frame f;

	exe_path[n > 0 ? n : 0] = '\0';
	/* the module table from the start, for records made in a handler */
	symcache_lookup((uintptr_t)symcache_init, true, &f);
}

void symcache_invalidate(void)
{
	__atomic_add_fetch(&generation, 1, __ATOMIC_ACQ_REL);
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
	f->base = __atomic_load_n(&s->base, __ATOMIC_ACQUIRE);
	f->symbol = __atomic_load_n(&s->symbol, __ATOMIC_ACQUIRE);
	f->symbol_addr = __atomic_load_n(&s->symbol_addr, __ATOMIC_ACQUIRE);
	f->name_hash = __atomic_load_n(&s->name_hash, __ATOMIC_ACQUIRE);
	f->module_len = __atomic_load_n(&s->module_len, __ATOMIC_ACQUIRE);
	f->symbol_len = __atomic_load_n(&s->symbol_len, __ATOMIC_ACQUIRE);
	f->module_plain = __atomic_load_n(&s->module_plain, __ATOMIC_ACQUIRE);
	f->symbol_plain = __atomic_load_n(&s->symbol_plain, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) == seq;
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
	__atomic_store_n(&s->base, f->base, __ATOMIC_RELEASE);
	__atomic_store_n(&s->symbol, f->symbol, __ATOMIC_RELEASE);
	__atomic_store_n(&s->symbol_addr, f->symbol_addr, __ATOMIC_RELEASE);
	__atomic_store_n(&s->name_hash, f->name_hash, __ATOMIC_RELEASE);
	__atomic_store_n(&s->module_len, f->module_len, __ATOMIC_RELEASE);
	__atomic_store_n(&s->symbol_len, f->symbol_len, __ATOMIC_RELEASE);
	__atomic_store_n(&s->module_plain, f->module_plain, __ATOMIC_RELEASE);
	__atomic_store_n(&s->symbol_plain, f->symbol_plain, __ATOMIC_RELEASE);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

static bool modules_get(uintptr_t ip, uint32_t gen, struct sym_frame *f)
{
	uint32_t seq = __atomic_load_n(&modules.seq, __ATOMIC_ACQUIRE);
	uint32_t n = __atomic_load_n(&modules.n, __ATOMIC_ACQUIRE);
	bool found = false;

	if ((seq & 1) || __atomic_load_n(&modules.gen, __ATOMIC_ACQUIRE) != gen)
		return false;
	for (uint32_t i = 0; i < n && i < SYMCACHE_MODULES && !found; i++) {
		struct module *m = &modules.m[i];

		if (ip >= __atomic_load_n(&m->lo, __ATOMIC_ACQUIRE) &&
		    ip < __atomic_load_n(&m->hi, __ATOMIC_ACQUIRE)) {
			f->module = __atomic_load_n(&m->name, __ATOMIC_ACQUIRE);
			f->base = __atomic_load_n(&m->base, __ATOMIC_ACQUIRE);
			f->name_hash = __atomic_load_n(&m->name_hash, __ATOMIC_ACQUIRE);
			f->module_len = __atomic_load_n(&m->name_len, __ATOMIC_ACQUIRE);
			f->module_plain = __atomic_load_n(&m->name_plain, __ATOMIC_ACQUIRE);
			found = true;
		}
	}
	return found && __atomic_load_n(&modules.seq, __ATOMIC_ACQUIRE) == seq;
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

/* The exported symbol nearest at or below ip, as dladdr chooses it. */
static void find_symbol(const struct dl_phdr_info *info, uintptr_t ip, struct sym_frame *f)
{
	const ElfW(Dyn) *dyn = NULL;
	const ElfW(Sym) *symtab = NULL, *match = NULL;
	const char *strtab = NULL;
	const uint32_t *gnu = NULL, *sysv = NULL;
	size_t strsz = 0;
	uintptr_t base = info->dlpi_addr;
	uint32_t first, n;

	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(base + info->dlpi_phdr[i].p_vaddr);
	if (!dyn)
		return;
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
		return;
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
	if (match) {
		f->symbol = strtab + match->st_name;
		f->symbol_addr = base + match->st_value;
		f->symbol_len = (uint32_t)strnlen(f->symbol, strsz - match->st_name);
		f->symbol_plain = rec_plain(f->symbol, f->symbol_len);
	}
}

static uint64_t hash_file_name(const char *path)
{
	uint64_t h = SYMCACHE_FNV_BASIS;
	const char *name = path;

	for (const char *p = path; *p; p++)
		if (*p == '/')
			name = p + 1;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * SYMCACHE_FNV_PRIME;
	return h;
}

struct look {
	uintptr_t ip;
	struct sym_frame *f;
	bool found;
	uint32_t n; /* modules noted */
};

static int look_module(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct look *l = ctx;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : exe_path;
	uint64_t hash;
	uint32_t len;
	bool plain;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD)
			continue;
		if (info->dlpi_addr + ph->p_vaddr < lo)
			lo = info->dlpi_addr + ph->p_vaddr;
		if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > hi)
			hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
	}
	if (lo >= hi)
		return 0;
	hash = hash_file_name(name);
	len = (uint32_t)strlen(name);
	plain = rec_plain(name, len);
	if (l->n < SYMCACHE_MODULES) {
		struct module *m = &modules.m[l->n++];

		__atomic_store_n(&m->lo, lo, __ATOMIC_RELEASE);
		__atomic_store_n(&m->hi, hi, __ATOMIC_RELEASE);
		__atomic_store_n(&m->base, (uintptr_t)info->dlpi_addr, __ATOMIC_RELEASE);
		__atomic_store_n(&m->name, name, __ATOMIC_RELEASE);
		__atomic_store_n(&m->name_hash, hash, __ATOMIC_RELEASE);
		__atomic_store_n(&m->name_len, len, __ATOMIC_RELEASE);
		__atomic_store_n(&m->name_plain, plain, __ATOMIC_RELEASE);
	}
	if (!l->found && l->ip >= lo && l->ip < hi) {
		l->found = true;
		l->f->module = name;
		l->f->base = info->dlpi_addr;
		l->f->name_hash = hash;
		l->f->module_len = len;
		l->f->module_plain = plain;
		/* inside the loader's list lock: the module cannot be unmapped
		 * while its symbols are read */
		find_symbol(info, l->ip, l->f);
	}
	return 0;
}

bool symcache_lookup(uintptr_t ip, bool lookup, struct sym_frame *f)
{
	uint32_t gen = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
	struct look l = {ip, f, false, 0};
	uint32_t seq;
	bool table;

	if (cache_get(ip, gen, f))
		return true;
	*f = (struct sym_frame){.name_hash = SYMCACHE_FNV_BASIS};
	if (!lookup)
		return modules_get(ip, gen, f);
	/* The module table is rewritten by whoever takes it; the others only
	 * look their address up. */
	table = seq_try_write(&modules.seq, &seq);
	if (!table)
		l.n = SYMCACHE_MODULES;
	dl_iterate_phdr(look_module, &l);
	if (table) {
		__atomic_store_n(&modules.n, l.n, __ATOMIC_RELEASE);
		__atomic_store_n(&modules.gen, gen, __ATOMIC_RELEASE);
		__atomic_store_n(&modules.seq, seq + 2, __ATOMIC_RELEASE);
	}
	/* An address in no module is not kept: a module may be loaded there
	 * later (after JIT code was freed). */
	if (l.found)
		cache_put(ip, gen, f);
	return l.found;
}
