/* Entry point pipe2, for libunwind's sake only.
 *
 * libunwind (1.6) keeps a pipe for the whole process, through which it
 * checks that memory is readable on every slow unwind step, and reopens it
 * (closing the old numbers first) when it finds it closed.  Left at the
 * program's lowest free numbers, it would shift the program's own
 * descriptor numbers, and a daemon that closes every descriptor and reuses
 * the numbers would have libunwind read, write and close the daemon's files.
 * So the pipe that libunwind makes while it works for the shim (shim_busy)
 * goes to pinned private numbers.  Every other pipe2 passes straight
 * through. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "backtrace.h"
#include "event.h"
#include "export.h"
#include "libc.h"
#include "privfd.h"
#include "sockshim.h"
#include "sys.h"

/* The program dup2()ed onto libunwind's pipe: unwinding stops for good. */
static void unwind_pipe_lost(void)
{
	struct event ev = EVENT_INIT(SHIM_EV_BACKTRACE_DISABLED, LOG_SEV_ERROR);

	if (backtrace_disable() && event_wanted(&shim_cfg, EVENTS_ERRORS)) {
		ev.reason = "the program took over libunwind's descriptor (dup2 onto it)";
		ev.backtrace = false;
		ev.unlimited = true;
		event_emit(&ev);
	}
}

SHIM_EXPORT int pipe2(int fds[2], int flags)
{
	int ret = libc_pipe2(fds, flags), slot0, slot1;

	if (ret != 0 || !backtrace_in_progress(__builtin_return_address(0)))
		return ret;
	slot0 = privfd_adopt_pinned(fds[0], unwind_pipe_lost);
	slot1 = privfd_adopt_pinned(fds[1], unwind_pipe_lost);
	if (slot0 >= 0 && slot1 >= 0) {
		sys_close(fds[0]);
		sys_close(fds[1]);
		fds[0] = privfd_peek(slot0);
		fds[1] = privfd_peek(slot1);
	}
	return ret;
}
