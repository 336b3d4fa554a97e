/* Entry point setsockopt: passes the call through, keeps forced options on,
 * remembers SO_LINGER {1, 0} (so that a close can tell it will send RST
 * without asking the kernel), and logs a failure. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "call.h"
#include "calls.h"
#include "event.h"
#include "export.h"
#include "fdtab.h"
#include "libc.h"
#include "reuse.h"
#include "shim.h"
#include "sockshim.h"

static void note_linger(int fd, const void *val, socklen_t len)
{
	struct linger l;

	if (!val || len < sizeof l)
		return;
	memcpy(&l, val, sizeof l); /* the kernel has just read it */
	if (l.l_onoff && l.l_linger == 0)
		fdtab_or(fd, FD_LINGER_ZERO);
	else
		fdtab_clear(fd, FD_LINGER_ZERO);
}

SHIM_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int ret;

	if (shim_passthrough())
		return libc_setsockopt(fd, level, name, val, len);
	if (shim_refuses(fd))
		return -1;
	ret = libc_setsockopt(fd, level, name, val, len);
	calls_setsockopt_done(fd, level, name, val, len, ret);
	return ret;
}

void calls_setsockopt_done(int fd, int level, int name, const void *val, socklen_t len, int ret)
{
	int saved = errno;
	struct call c;

	call_enter(&c);
	if (ret == 0) {
		if (level == SOL_SOCKET && name == SO_LINGER)
			note_linger(fd, val, len);
		else
			reuse_keep_forced(fd, level, name, val, len);
	} else if (event_wanted(&shim_cfg, EVENTS_ERRORS)) {
		struct event ev = EVENT_INIT(SHIM_EV_SETSOCKOPT_ERROR, LOG_SEV_ERROR);

		ev.fd = fd;
		ev.fd_state = fdtab_get(fd);
		ev.err = saved;
		ev.has_option = true;
		ev.level = level;
		ev.option = name;
		event_emit(&ev);
	}
	call_leave(&c);
	errno = saved;
}
