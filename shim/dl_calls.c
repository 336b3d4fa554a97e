/* Entry point dlclose: a module unloaded takes its names with it, and a
 * later one may be mapped at its addresses, so the names of frames and the
 * unwinding rules cached so far (symcache.h, unwind.h) are forgotten after
 * a dlclose that unloaded something.  One that only dropped a reference
 * (a plugin opened twice, a library every program has) forgets nothing:
 * programs that open and close a library per request keep their caches. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>

#include "export.h"
#include "libc.h"
#include "symcache.h"
#include "unwind.h"

SHIM_EXPORT int dlclose(void *handle)
{
	unsigned long long before, after;
	bool known = symcache_unloads(&before);
	int ret = libc_dlclose(handle);
	int saved = errno;

	/* (where the loader's list cannot be walked, what was unloaded is
	 * not known: everything is forgotten) */
	if (!symcache_unloads(&after) || !known || after != before) {
		symcache_invalidate();
		unwind_invalidate();
	}
	errno = saved;
	return ret;
}
