/* Who else holds a socket, as the kernel's /proc says: the last word on
 * whether a close is a socket's last reference where the shim could not
 * follow its copies (a socket passed through exec, as inetd and sshd do,
 * or in SCM_RIGHTS, or held in a fork tree whose count was pinned). */
#ifndef SHIM_HOLDERS_H
#define SHIM_HOLDERS_H

#include <stdint.h>

enum holders {
	HOLDERS_NONE,	 /* no descriptor but fd of this process names it */
	HOLDERS_OTHERS,	 /* another descriptor does, here or elsewhere */
	HOLDERS_UNKNOWN, /* some process's descriptors could not be read */
};

/* Whether any descriptor other than fd of this process names the socket
 * whose inode is ino: every /proc/PID/fd is read (readlinkat of each
 * entry, "socket:[ino]").  A process that cannot be read (another user's,
 * to one without the privilege) makes the answer HOLDERS_UNKNOWN, which
 * callers take as "others".  Raw system calls, no allocation, about 2.2
 * KiB of stack: not on a small signal stack.  Slow (every descriptor of
 * the host): for the rare path only. */
enum holders holders_beyond(int fd, uint64_t ino);

/* The same scan over one /proc/PID/fd listing already open (dir): how
 * many of its entries name "socket:[ino]", skipping number skip (-1:
 * none); -1 if it could not be read (a process gone meanwhile is read as
 * what was listed before it went).  For holders_beyond and the tests. */
int holders_in_dir(int dir, uint64_t ino, int skip);

#endif
