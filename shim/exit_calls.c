/* Entry points that end the process without exit()'s destructors: _exit
 * and _Exit.  A forking server's child often ends that way (OpenSSH's sshd
 * ends its connection processes with _exit()), and the kernel then closes
 * the sockets left open, with a reset where a request was left unread,
 * exactly as at exit(): they get the same checks, records and cures
 * (shim_process_ends), with stdio's buffers left alone as _exit leaves
 * them.  glibc's exit() ends in its own _exit, never this one. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "export.h"
#include "libc.h"
#include "proc.h"
#include "shim.h"
#include "sys.h"

/* The calling process is the one the shim's memory describes: not a
 * child made by clone(CLONE_VM) without the vfork trampoline (a spawn
 * of the program's own, sharing this memory), whose _exit must not
 * touch the parent's state. */
static bool own_process(void)
{
	return __atomic_load_n(&shim_init_state, __ATOMIC_ACQUIRE) == INIT_DONE &&
	       sys_getpid() == proc_owner_pid;
}

SHIM_EXPORT void _exit(int status)
{
	if (own_process())
		shim_process_ends(false);
	libc__exit(status);
}

SHIM_EXPORT void _Exit(int status)
{
	if (own_process())
		shim_process_ends(false);
	libc__exit(status);
}
