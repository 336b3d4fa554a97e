/* Forcing SO_REUSEADDR / SO_REUSEPORT.
 *
 * Linux lets a new listener bind a port that connections in TIME_WAIT still
 * use only if both the new socket and the one that left TIME_WAIT behind had
 * SO_REUSEADDR: that is why the option goes on every inet stream socket, at
 * creation, and not only on listeners. */
#define _GNU_SOURCE
#include "reuse.h"

#include <errno.h>
#include <string.h>

#include "event.h"
#include "fdtab.h"
#include "sockshim.h"
#include "sys.h"

static bool set_on(int fd, int name)
{
	int one = 1;

	return sys_setsockopt(fd, SOL_SOCKET, name, &one, sizeof one) == 0;
}

/* Sets option name on fd; logs the outcome.  why: the reason field. */
static bool force(int fd, uint32_t st, int name, const char *why)
{
	bool ok = set_on(fd, name);
	struct event ev = EVENT_INIT(name == SO_REUSEADDR ? SHIM_EV_REUSEADDR_FORCED
							   : SHIM_EV_REUSEPORT_FORCED,
				     LOG_SEV_INFO);

	if (!ok) {
		ev.name = SHIM_EV_SETSOCKOPT_ERROR;
		ev.severity = LOG_SEV_ERROR;
		ev.err = errno;
	} else if (!event_wanted(&shim_cfg, EVENTS_ALL)) {
		return true;
	}
	if (event_wanted(&shim_cfg, EVENTS_ERRORS)) {
		ev.fd = fd;
		ev.fd_state = st;
		ev.reason = why;
		ev.has_option = true;
		ev.level = SOL_SOCKET;
		ev.option = name;
		event_emit(&ev);
	}
	return ok;
}

void reuse_force(int fd, uint32_t st)
{
	int saved = errno;

	if (!fd_is_inet_stream(st))
		return;
	if (shim_cfg.reuseaddr)
		force(fd, st, SO_REUSEADDR, "new socket");
	if (shim_cfg.reuseport)
		force(fd, st, SO_REUSEPORT, "new socket");
	errno = saved;
}

void reuse_keep_forced(int fd, int level, int name, const void *val, socklen_t len)
{
	bool wanted;
	uint32_t st;
	int v;

	if (level != SOL_SOCKET)
		return;
	if (name == SO_REUSEADDR)
		wanted = shim_cfg.reuseaddr;
	else if (name == SO_REUSEPORT)
		wanted = shim_cfg.reuseport;
	else
		return;
	/* The kernel has just read val successfully, so reading it is safe;
	 * memcpy because nothing says it is aligned. */
	if (!wanted || !val || len < sizeof v)
		return;
	memcpy(&v, val, sizeof v);
	if (v != 0)
		return;
	st = fdtab_get(fd);
	if (!(st & FD_SOCKET))
		st = fdtab_learn(fd);
	if (fd_is_inet_stream(st))
		force(fd, st, name, "program cleared it");
}
