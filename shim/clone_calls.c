/* Entry point clone(): a child made without CLONE_VM runs none of fork()'s
 * handlers, yet is a process of its own with a copy of every descriptor
 * (a sandbox or namespace tool's child: clone(fn, stack, SIGCHLD |
 * CLONE_NEWNS..., arg); vsftpd's session processes).  It gets fork()'s
 * handlers (shim_fork_prepare and shim_fork_parent around the call, and
 * shim_fork_child first thing in the child, through a step before fn):
 * its records carry its own pid, it writes a close history of its own,
 * and above all the sockets it holds are shared, so that the parent's
 * close of its copy is not taken for the last (before, under
 * SOCKSHIM_GRACEFUL=1 it shut the child's connection down, and at the
 * default level wrote false close_rst records:
 * regress_clone_child_holds_sockets).  Nothing else changes: the same
 * flags, stack, ptid, tls and ctid reach the next clone() in line, its
 * result and errno are the caller's.  A child sharing this memory
 * (CLONE_VM: a thread, a vfork-like spawn) goes straight to fn. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/types.h>

#include "close_history.h"
#include "export.h"
#include "linger.h"
#include "libc.h"
#include "proc.h"
#include "shim.h"
#include "vfork.h"

struct clone_start {
	int (*fn)(void *);
	void *arg;
	int flags;
};

/* In the child: its own copy of the parent's memory, the parent's
 * clone_start (on the parent's stack) included. */
static int clone_child(void *p)
{
	struct clone_start s = *(const struct clone_start *)p;

	int ret;

	shim_fork_child();
	shim_forked_into((unsigned)s.flags);
	ret = s.fn(s.arg);
	/* fn returned: glibc's clone ends the calling thread (SYS_exit),
	 * which ends the process when it is its only thread.  The shim's
	 * background thread (a lingering close made in the child) kept it
	 * alive for ever, and the parent's waitpid never returned
	 * (regress_clone_child_returns): with no thread of the program's
	 * left, the process ends as it would have, after the shim's end of
	 * it (lingering closes get their time). */
	if (linger_thread_running() && proc_thread_count() == 2) {
		shim_process_ends(false);
		libc__exit(ret);
	}
	return ret;
}

/* In a child that shares this process's descriptors (CLONE_FILES): its
 * pid and close history only; fork()'s handlers would close the shim's
 * own descriptors in the table both use, and no socket gained a holder. */
static int clone_child_files(void *p)
{
	struct clone_start s = *(const struct clone_start *)p;

	proc_after_fork_child();
	close_history_forked();
	return s.fn(s.arg);
}

SHIM_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	pid_t *ptid;
	void *tls;
	pid_t *ctid;
	struct clone_start s = {fn, arg, flags};

	/* the optional three, read as glibc's clone reads them: whatever the
	 * caller left there when it did not pass them, used only per flags */
	va_start(ap, arg);
	ptid = va_arg(ap, pid_t *);
	tls = va_arg(ap, void *);
	ctid = va_arg(ap, pid_t *);
	va_end(ap);
	if (!(flags & CLONE_VM) && fn &&
	    __atomic_load_n(&shim_init_state, __ATOMIC_ACQUIRE) == INIT_DONE) {
		int ret, err;

		if (flags & CLONE_FILES)
			return libc_clone(clone_child_files, stack, flags, &s, ptid, tls, ctid);
		shim_fork_prepare();
		ret = libc_clone(clone_child, stack, flags, &s, ptid, tls, ctid);
		err = errno;
		shim_fork_parent();
		errno = err;
		return ret;
	}
	return libc_clone(fn, stack, flags, arg, ptid, tls, ctid);
}

/* _Fork() (glibc 2.34): a fork that runs none of fork()'s handlers, the
 * shim's pthread_atfork ones included (fork() itself reaches it inside
 * libc, not through this symbol).  Its child holds a copy of every socket
 * as a forked one does: fork()'s handlers around it, as for
 * syscall(SYS_fork).  Before, the parent's close of its copy was taken for
 * the last: under SOCKSHIM_GRACEFUL=1 it shut the child's connection down,
 * and at the default level it wrote false close_rst records
 * (regress_underscore_fork_holds_sockets). */
SHIM_EXPORT pid_t _Fork(void)
{
	pid_t ret;

	if (__atomic_load_n(&shim_init_state, __ATOMIC_ACQUIRE) != INIT_DONE || vfork_in_child)
		return libc__Fork();
	shim_fork_prepare();
	ret = libc__Fork();
	shim_fork_done(ret, 0);
	return ret;
}
