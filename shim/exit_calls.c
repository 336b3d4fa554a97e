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

#include "coldmem.h"
#include "export.h"
#include "libc.h"
#include "proc.h"
#include "shim.h"
#include "sys.h"

/* Ends the process as _exit does, after the shim's end of it: only in
 * the process whose state the shim's memory describes (not a child made
 * by syscall(SYS_fork), whose fork handlers did not run, nor one sharing
 * this memory; shim_process_ends leaves out a vfork child and a process
 * not yet initialised). */
SHIM_FORK_TEXT static void __attribute__((noreturn)) end_now(int status)
{
	if (sys_getpid() == proc_owner_pid)
		shim_process_ends(false);
	libc__exit(status);
}

SHIM_FORK_TEXT SHIM_EXPORT void _exit(int status)
{
	end_now(status);
}

SHIM_FORK_TEXT SHIM_EXPORT void _Exit(int status)
{
	end_now(status);
}
