/* Entry point dlclose: a module unloaded takes its names with it, and a
 * later one may be mapped at its addresses, so the names of frames and the
 * unwinding rules cached so far (symcache.h, unwind.h) are forgotten after
 * each. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>

#include "export.h"
#include "libc.h"
#include "symcache.h"
#include "unwind.h"

SHIM_EXPORT int dlclose(void *handle)
{
	int ret = libc_dlclose(handle);
	int saved = errno;

	symcache_invalidate();
	unwind_invalidate();
	errno = saved;
	return ret;
}
