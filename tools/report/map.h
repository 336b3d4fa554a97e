/* Counts by name: an open-addressing hash table of byte-string keys,
 * each with a count and a pointer for more (a host's own tables, a call
 * site).  Keys are copied into an arena that lives as long as the tally,
 * so memory grows with the distinct names, never with the records. */
#ifndef REPORT_MAP_H
#define REPORT_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena {
	char *cur;
	size_t left;
	void **blocks;
	size_t nblocks;
};

void *arena_alloc(struct arena *a, size_t n);
void arena_free(struct arena *a);

struct ment {
	const char *key; /* NULL: a free slot; else NUL-terminated too */
	uint32_t len;
	uint32_t hash32;
	int64_t n;
	void *aux;
};

struct map {
	struct ment *e;
	uint32_t cap, used;
	struct arena *arena;
};

void map_init(struct map *m, struct arena *a);
void map_free(struct map *m);
uint64_t hash_bytes(const void *p, size_t n);
/* The entry of KEY, added with n = 0 and aux = NULL if it was not there. */
struct ment *map_get(struct map *m, const char *key, size_t len);
/* The entry of KEY, or NULL. */
struct ment *map_find(const struct map *m, const char *key, size_t len);
/* Adds N to KEY's count. */
void map_add(struct map *m, const char *key, size_t len, int64_t n);
/* Adds every count of SRC into DST (aux pointers are not touched). */
void map_merge(struct map *dst, const struct map *src);

/* Counts by a 64-bit number: IPv4 peers, with or without their port, and
 * by host.  One cache line less per record than a name: a fleet's peers
 * are a million names.  Key 0 is never used. */
struct ient {
	uint64_t key;
	int64_t n;
};

struct imap {
	struct ient *e;
	uint32_t cap, used;
};

/* Adds N to KEY's count; true if KEY was not there. */
bool imap_add(struct imap *m, uint64_t key, int64_t n);
void imap_merge(struct imap *dst, const struct imap *src);
void imap_free(struct imap *m);

#define imap_foreach(m, ent) \
	for (struct ient *ent = (m)->e; ent && ent < (m)->e + (m)->cap; ent++) \
		if (ent->key)

#define map_foreach(m, ent) \
	for (struct ment *ent = (m)->e; ent && ent < (m)->e + (m)->cap; ent++) \
		if (ent->key)

#endif
