/* Entry point chroot(): a daemon that confines itself (postfix's smtpd,
 * Debian's default, vsftpd, bind) changes its root before its first
 * record, and the log file, opened at the first record, was then looked
 * for inside the new root: every record was lost, without a word (found by
 * a helper's sweep: postfix, 12 resets, 0 records).  The file is opened
 * before the root changes (log_before_chroot); written on after, and its
 * rotation checks keep it while its path cannot be reached.  The call
 * itself is the program's, its result and errno unchanged. */
#define _GNU_SOURCE
#include <unistd.h>

#include "export.h"
#include "libc.h"
#include "log.h"
#include "shim.h"

SHIM_EXPORT int chroot(const char *path)
{
	if (!shim_passthrough() && shim_cfg.events != EVENTS_NONE)
		log_before_chroot();
	return libc_chroot(path);
}
