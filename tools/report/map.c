/* Counts by name (see map.h). */
#include "map.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "report.h"

#define ARENA_BLOCK (256 * 1024)

void *arena_alloc(struct arena *a, size_t n)
{
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (n > a->left) {
		size_t size = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK;

		a->blocks = xrealloc(a->blocks, (a->nblocks + 1) * sizeof *a->blocks);
		p = xrealloc(NULL, size);
		a->blocks[a->nblocks++] = p;
		if (size != n) {
			a->cur = p;
			a->left = size;
		} else {
			/* a big one on its own: the current block goes on */
			return p;
		}
	}
	p = a->cur;
	a->cur += n;
	a->left -= n;
	return p;
}

void arena_free(struct arena *a)
{
	for (size_t i = 0; i < a->nblocks; i++)
		free(a->blocks[i]);
	free(a->blocks);
	memset(a, 0, sizeof *a);
}

/* A table of BYTES zero bytes.  A big one is mapped on its own, in huge
 * pages where the kernel has them, and written at once: a table read
 * before it is written maps the zero page, and the first write then
 * costs a second fault and a TLB flush on every core the process runs on
 * (most of the system time of a report on a fleet's log, before). */
#define BIG_TABLE (2u << 20)

static void *table_alloc(size_t bytes)
{
	void *p;

	if (bytes < BIG_TABLE)
		return xcalloc(1, bytes);
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die_oom();
	madvise(p, bytes, MADV_HUGEPAGE);
	memset(p, 0, bytes);
	return p;
}

static void table_free(void *p, size_t bytes)
{
	if (bytes < BIG_TABLE)
		free(p);
	else if (p)
		munmap(p, bytes);
}

void map_init(struct map *m, struct arena *a)
{
	memset(m, 0, sizeof *m);
	m->arena = a;
}

void map_free(struct map *m)
{
	table_free(m->e, (size_t)m->cap * sizeof *m->e);
	m->e = NULL;
	m->cap = m->used = 0;
}

/* 8 bytes at a time, mixed by multiplication (after wyhash's mum). */
static inline uint64_t mix(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t hash_bytes(const void *data, size_t n)
{
	const unsigned char *p = data;
	uint64_t h = 0x2d358dccaa6c78a5ull ^ n, w;

	for (; n >= 8; n -= 8, p += 8) {
		memcpy(&w, p, 8);
		h = mix(h ^ w, 0x8bb84b93962eacc9ull);
	}
	w = 0;
	memcpy(&w, p, n);
	return mix(h ^ w, 0x4b33a62ed433d4a3ull) ^ h;
}

/* The slot of KEY (its hash H): where it is, or the free one it would
 * take.  The index is the hash's high half, kept in the entry, so that
 * growing never hashes a key again. */
static struct ment *slot(const struct map *m, const char *key, size_t len, uint64_t h)
{
	uint32_t mask = m->cap - 1, h32 = (uint32_t)(h >> 32), i = h32 & mask;

	for (;; i = (i + 1) & mask) {
		struct ment *e = &m->e[i];

		if (!e->key || (e->hash32 == h32 && e->len == len && memcmp(e->key, key, len) == 0))
			return e;
	}
}

static void grow(struct map *m)
{
	struct ment *old = m->e;
	uint32_t oldcap = m->cap;

	m->cap = oldcap ? oldcap * 2 : 16;
	m->e = table_alloc((size_t)m->cap * sizeof *m->e);
	for (uint32_t i = 0; i < oldcap; i++) {
		if (old[i].key) {
			uint32_t mask = m->cap - 1, j = old[i].hash32 & mask;

			while (m->e[j].key)
				j = (j + 1) & mask;
			m->e[j] = old[i];
		}
	}
	table_free(old, (size_t)oldcap * sizeof *old);
}

struct ment *map_find(const struct map *m, const char *key, size_t len)
{
	struct ment *e;

	if (!m->cap)
		return NULL;
	e = slot(m, key, len, hash_bytes(key, len));
	return e->key ? e : NULL;
}

struct ment *map_get(struct map *m, const char *key, size_t len)
{
	uint64_t h = hash_bytes(key, len);
	struct ment *e;
	char *k;

	if ((m->used + 1) * 2 > m->cap)
		grow(m);
	e = slot(m, key, len, h);
	if (e->key)
		return e;
	k = arena_alloc(m->arena, len + 1);
	memcpy(k, key, len);
	k[len] = '\0';
	e->key = k;
	e->len = (uint32_t)len;
	e->hash32 = (uint32_t)(h >> 32);
	e->n = 0;
	e->aux = NULL;
	m->used++;
	return e;
}

void map_add(struct map *m, const char *key, size_t len, int64_t n)
{
	map_get(m, key, len)->n += n;
}

void map_merge(struct map *dst, const struct map *src)
{
	map_foreach(src, e)
		map_add(dst, e->key, e->len, e->n);
}

static inline uint32_t ihash(uint64_t k)
{
	return (uint32_t)(mix(k, 0x9e3779b97f4a7c15ull) >> 32);
}

static void igrow(struct imap *m)
{
	struct ient *old = m->e;
	uint32_t oldcap = m->cap, mask;

	m->cap = oldcap ? oldcap * 2 : 64;
	mask = m->cap - 1;
	m->e = table_alloc((size_t)m->cap * sizeof *m->e);
	for (uint32_t i = 0; i < oldcap; i++) {
		if (old[i].key) {
			uint32_t j = ihash(old[i].key) & mask;

			while (m->e[j].key)
				j = (j + 1) & mask;
			m->e[j] = old[i];
		}
	}
	table_free(old, (size_t)oldcap * sizeof *old);
}

bool imap_add(struct imap *m, uint64_t key, int64_t n)
{
	uint32_t mask, i;

	if ((m->used + 1) * 2 > m->cap)
		igrow(m);
	mask = m->cap - 1;
	for (i = ihash(key) & mask; m->e[i].key; i = (i + 1) & mask) {
		if (m->e[i].key == key) {
			m->e[i].n += n;
			return false;
		}
	}
	m->e[i].key = key;
	m->e[i].n = n;
	m->used++;
	return true;
}

void imap_merge(struct imap *dst, const struct imap *src)
{
	imap_foreach(src, e)
		imap_add(dst, e->key, e->n);
}

void imap_free(struct imap *m)
{
	table_free(m->e, (size_t)m->cap * sizeof *m->e);
	m->e = NULL;
	m->cap = m->used = 0;
}
