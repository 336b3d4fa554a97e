/* Initialisation, and the tests every entry point makes first. */
#ifndef SHIM_SHIM_H
#define SHIM_SHIM_H

#include <errno.h>
#include <stdbool.h>

#include "fdtab.h"
#include "vfork.h"

/* INIT_SANDBOXED: the program put itself under a seccomp filter of its
 * own (sandbox_calls.c); from then on every entry point passes its call
 * through, and the shim makes no system call of its own. */
enum { INIT_NONE, INIT_RUNNING, INIT_DONE, INIT_SANDBOXED };
extern int shim_init_state;

/* Runs the initialisation if nobody has yet.  Returns false while it is
 * not finished: the caller then passes its call straight through (this is
 * the case for calls made by the initialisation itself, and for a thread
 * that races with it). */
bool shim_init_slow(void);

/* The process ends (by_exit: exit(), from the destructor; else _exit()):
 * the sockets it leaves open get the checks and cures of their close
 * (close_path_at_exit), lingering ones their time, the rate limiter's
 * counts their record.  Nothing before the initialisation finished, nor
 * in a vfork child. */
void shim_process_ends(bool by_exit);

/* fork()'s handlers, also run around a process made otherwise
 * (clone() without CLONE_VM, syscall(SYS_fork), syscall(SYS_clone)): the
 * child holds a copy of every socket as a forked one does
 * (regress_clone_child_holds_sockets).  shim_fork_parent also after a
 * failed one. */
void shim_fork_prepare(void);
void shim_fork_parent(void);
void shim_fork_child(void);

/* In such a child, after shim_fork_child: the namespaces it was made in
 * (its clone flags), where its pids and its questions to the kernel are
 * not its parent's (ratelimit_elsewhere, lastref_net_elsewhere). */
void shim_forked_into(unsigned long long flags);

/* After a fork made without fork() (syscall(SYS_fork), _Fork) that
 * shim_fork_prepare came before, its result ret: in the child (0)
 * shim_fork_child and shim_forked_into(flags), else shim_fork_parent;
 * errno kept. */
void shim_fork_done(long ret, unsigned long long flags);

/* The process is about to exec another program (exec_calls.c), which
 * takes none of the shim's state along: the closes lingering in the
 * background get their time (the exec would cut them), the rate limiter's
 * counts their record if this process is the one to report them, and the
 * drops not yet told their record.  shim_exec_failed: the exec did not
 * happen, and the process goes on in its fork tree. */
void shim_before_exec(void);
void shim_exec_failed(void);

static inline bool shim_ready(void)
{
	if (__builtin_expect(__atomic_load_n(&shim_init_state, __ATOMIC_ACQUIRE) == INIT_DONE, 1))
		return true;
	return shim_init_slow();
}

/* The program's seccomp filter is in place (its prctl or seccomp call
 * returned success): the shim steps aside for good, in this process and
 * the children it forks (sandbox_calls.c). */
void shim_enter_sandbox(void);

static inline bool shim_passthrough(void)
{
	return !shim_ready() || vfork_in_child;
}

/* A number the shim holds for itself is, to the program, one it never
 * opened: an interposed call naming it fails with EBADF, as it would bare.
 * Returns true (errno set) if fd is such a number. */
static inline bool shim_refuses(int fd)
{
	if (__builtin_expect(!(fdtab_get(fd) & FD_PRIVATE), 1))
		return false;
	errno = EBADF;
	return true;
}

#endif
