/* Symbol lookup in a loaded object's GNU hash table (see elfsym.h). */
#define _GNU_SOURCE
#include "elfsym.h"

#include <elf.h>
#include <string.h>

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* glibc rewrites the pointers of a writable .dynamic to run-time addresses
 * and leaves a read-only one as in the file (offsets from the base). */
static uintptr_t dyn_ptr(const struct elfsym_object *obj, uintptr_t v)
{
	return v < obj->base ? v + obj->base : v;
}

void *elfsym_lookup(const struct elfsym_object *obj, const char *name)
{
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	const uint32_t *gh = NULL;
	uint32_t nbuckets, symoffset, bloom_size, h, i;
	const ElfW(Addr) *bloom;
	const uint32_t *buckets, *chain;

	if (!obj->dyn)
		return NULL;
	for (const ElfW(Dyn) *d = obj->dyn; d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_SYMTAB)
			symtab = (const ElfW(Sym) *)dyn_ptr(obj, d->d_un.d_ptr);
		else if (d->d_tag == DT_STRTAB)
			strtab = (const char *)dyn_ptr(obj, d->d_un.d_ptr);
		else if (d->d_tag == DT_GNU_HASH)
			gh = (const uint32_t *)dyn_ptr(obj, d->d_un.d_ptr);
	}
	if (!symtab || !strtab || !gh)
		return NULL;
	nbuckets = gh[0];
	symoffset = gh[1];
	bloom_size = gh[2];
	if (nbuckets == 0)
		return NULL;
	bloom = (const ElfW(Addr) *)(const void *)&gh[4];
	buckets = (const uint32_t *)(const void *)&bloom[bloom_size];
	chain = &buckets[nbuckets];
	h = gnu_hash(name);
	i = buckets[h % nbuckets];
	if (i < symoffset)
		return NULL;
	for (;; i++) {
		uint32_t h2 = chain[i - symoffset];
		const ElfW(Sym) *s = &symtab[i];

		if ((h | 1) == (h2 | 1) && strcmp(name, strtab + s->st_name) == 0 &&
		    s->st_shndx != SHN_UNDEF && (s->st_info & 0xf) != STT_TLS /* ST_TYPE, 32 and 64 bits */)
			return (void *)(obj->base + s->st_value);
		if (h2 & 1)
			return NULL;
	}
}
