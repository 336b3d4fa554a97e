/* Entry point dlclose: a module unloaded takes its names with it, and a
 * later one may be mapped at its addresses, so the names of frames and the
 * unwinding rules cached so far (symcache.h, unwind.h) are forgotten after
 * a dlclose that unloaded something.  One that only dropped a reference
 * (a plugin opened twice, a library every program has) forgets nothing:
 * programs that open and close a library per request keep their caches. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>

#include "export.h"
#include "libc.h"
#include "symcache.h"
#include "unwind.h"

static int count_unloads(struct dl_phdr_info *info, size_t size, void *ctx)
{
	(void)size;
	*(unsigned long long *)ctx = info->dlpi_subs;
	return 1;
}

/* How many modules the loader has unloaded so far. */
static unsigned long long unloads(void)
{
	unsigned long long n = 0;

	dl_iterate_phdr(count_unloads, &n);
	return n;
}

SHIM_EXPORT int dlclose(void *handle)
{
	unsigned long long before = unloads();
	int ret = libc_dlclose(handle);
	int saved = errno;

	if (unloads() != before) {
		symcache_invalidate();
		unwind_invalidate();
	}
	errno = saved;
	return ret;
}
