/* Entry point chroot(): a daemon that confines itself (postfix's smtpd,
 * Debian's default, vsftpd, bind) changes its root before its first
 * record, and the log file, opened at the first record, was then looked
 * for inside the new root: every record was lost, without a word (found by
 * a helper's sweep: postfix, 12 resets, 0 records).  The file is opened
 * before the root changes (log_before_chroot); written on after, and no
 * longer checked for rotation by its path, which now leads into the new
 * root (log_after_chroot: a jail that had the log's directory got a file
 * of its own, and the later records).  The call
 * itself is the program's, its result and errno unchanged. */
#define _GNU_SOURCE
#include <unistd.h>

#include "export.h"
#include "libc.h"
#include "log.h"
#include "shim.h"

SHIM_EXPORT int chroot(const char *path)
{
	bool watched = !shim_passthrough() && shim_cfg.events != EVENTS_NONE;
	int ret;

	if (watched)
		log_before_chroot();
	ret = libc_chroot(path);
	/* the path no longer leads to the file: not followed for rotation
	 * (regress_log_rotation_after_chroot) */
	if (watched && ret == 0)
		log_after_chroot();
	return ret;
}
