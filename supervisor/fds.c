/* The supervisor's own descriptors: its limit, and whether a copy of the
 * program's socket may be kept past the answer.
 *
 * Each socket the supervisor lingers on, or keeps until the program's close
 * has run (afterclose.c), is a copy in its own table.  A server with a
 * thousand connections ending at once (a graceful close each, an exit with
 * them all open) made the copies fail once the table was full at the limit
 * the supervisor was started with (1024 under systemd), and every close
 * after that went without a record or a cure
 * (regress_supervise_descriptor_limit).  The limit is raised to the hard
 * one at start, in the supervisor alone (the program keeps its own, as
 * bare); and a copy is kept only below a reserve line, so that the copies
 * a look needs for a moment can always be had: a close past it is decided
 * at once instead (a lingering that has to wait is not taken: graceful_
 * skipped, then its outcome as without graceful). */
#define _GNU_SOURCE
#include "supervisor.h"

#include <sys/resource.h>

static long fd_limit = 1024;

void sv_fds_raise(void)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
		return;
	if (lim.rlim_cur < lim.rlim_max) {
		struct rlimit want = {lim.rlim_max, lim.rlim_max};

		if (setrlimit(RLIMIT_NOFILE, &want) == 0)
			lim.rlim_cur = lim.rlim_max;
	}
	/* (RLIM_INFINITY, or more than any table holds: the kernel's
	 * nr_open bounds it anyway) */
	fd_limit = lim.rlim_cur > (rlim_t)(1 << 30) ? 1L << 30 : (long)lim.rlim_cur;
}

bool sv_fds_room(int fd)
{
	/* (what a look takes for a moment: a copy, the pidfd's, a /proc
	 * file or two, the log's reopening; a few, 16 at the least) */
	long reserve = fd_limit / 8 < 16 ? 16 : fd_limit / 8 > 64 ? 64 : fd_limit / 8;

	return fd >= 0 && fd < fd_limit - reserve;
}
