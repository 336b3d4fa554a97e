/* Entry points that end descriptors: close, shutdown, close_range,
 * closefrom.  Each makes sure the shim is ready and delegates: what happens
 * is in close_path.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/close_range.h>
#include <sys/socket.h>
#include <unistd.h>

#include "call.h"
#include "calls.h"
#include "close_path.h"
#include "coldmem.h"
#include "event.h"
#include "export.h"
#include "fdtab.h"
#include "libc.h"
#include "shim.h"
#include "sockshim.h"

SHIM_FORK_TEXT SHIM_EXPORT int close(int fd)
{
	if (shim_passthrough())
		return libc_close(fd);
	return close_path_close(fd, __builtin_return_address(0));
}

SHIM_FORK_TEXT SHIM_EXPORT int shutdown(int fd, int how)
{
	int ret;

	if (shim_passthrough())
		return libc_shutdown(fd, how);
	if (shim_refuses(fd))
		return -1;
	ret = libc_shutdown(fd, how);
	calls_shutdown_done(fd, ret);
	return ret;
}

SHIM_FORK_TEXT void calls_shutdown_done(int fd, int ret)
{
	int saved = errno;
	struct call c;

	if (event_wanted(&shim_cfg, ret == 0 ? EVENTS_ALL : EVENTS_ERRORS)) {
		struct event ev = EVENT_INIT(ret == 0 ? SHIM_EV_SHUTDOWN
						      : SHIM_EV_SHUTDOWN_ERROR,
					     ret == 0 ? LOG_SEV_INFO : LOG_SEV_ERROR);

		call_enter(&c);
		ev.fd = fd;
		ev.fd_state = fdtab_get(fd);
		ev.addresses = true;
		ev.err = ret == 0 ? 0 : saved;
		event_emit(&ev);
		call_leave(&c);
	}
	errno = saved;
}

SHIM_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
	/* What the kernel refuses, it refuses the same without the split. */
	if (shim_passthrough() || first > last ||
	    (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)))
		return libc_close_range(first, last, flags);
	return close_path_close_range(first, last, flags);
}

SHIM_EXPORT void closefrom(int lowfd)
{
	if (shim_passthrough()) {
		libc_closefrom(lowfd);
		return;
	}
	/* glibc closes from 0 for a negative lowfd: so does the split, which
	 * keeps the shim's own numbers (passed through, it closed the log,
	 * and the next record went into the program's file that took the
	 * number: regress_closefrom_negative_keeps_log) */
	close_path_closefrom(lowfd < 0 ? 0 : lowfd);
}
