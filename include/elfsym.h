/* Symbols of an object already loaded, read from its dynamic section in
 * memory (GNU hash table): no dlsym, so no allocation (dlerror's message)
 * and no loader lock; for objects found after the shim's start (a
 * dlopen'ed libpython).  The object must be loaded and relocated: the
 * caller knows it is (code of it is running on the calling thread). */
#ifndef SHIM_ELFSYM_H
#define SHIM_ELFSYM_H

#include <link.h>
#include <stdint.h>

struct elfsym_object {
	uintptr_t base;	       /* load bias (dlpi_addr) */
	const ElfW(Dyn) *dyn;  /* its PT_DYNAMIC in memory */
};

/* The address of the defined symbol name in obj, or NULL (undefined, not
 * there, a TLS symbol, or no GNU hash table). */
void *elfsym_lookup(const struct elfsym_object *obj, const char *name);

#endif
