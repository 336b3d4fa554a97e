/* Entry point syscall(): the numbers of the calls the shim interposes go
 * through the same logic as their libc wrappers; every other number passes
 * through as it came, all six arguments untouched.
 *
 * Runtimes that call the kernel through syscall() rather than through the
 * libc wrapper are common: libuv (Node.js) closes every descriptor with
 * syscall(SYS_close, fd), because glibc's close() is a cancellation point
 * (uv__close_nocancel).  So the real call is made as the program asked, a
 * system call through the next syscall() in line: never a cancellation
 * point where the caller chose syscall() to avoid one, errno exactly the
 * kernel's.  Unknown numbers are passed on, not refused (torsocks refuses
 * them; socket_wrapper passes them on, as here): Rust's futexes, getrandom
 * and gettid go through syscall() and must not notice the shim, nor pay
 * more than a switch for it, nor start its initialisation. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "calls.h"
#include "close_history.h"
#include "close_path.h"
#include "export.h"
#include "fdtab.h"
#include "libc.h"
#include "proc.h"
#include "sandbox.h"
#include "shim.h"

/* A number that may make a process (fork-like, or a thread: the flags
 * tell, fork_flags). */
static inline bool fork_like(long nr)
{
	switch (nr) {
#ifdef SYS_fork
	case SYS_fork:
#endif
	case SYS_clone:
#ifdef SYS_clone3
	case SYS_clone3:
#endif
		return true;
	default:
		return false;
	}
}

/* Whether the shim has anything to do with syscall number nr. */
static inline bool watched(long nr)
{
	switch (nr) {
	case SYS_close:
	case SYS_close_range:
	case SYS_socket:
	case SYS_socketpair:
#ifdef SYS_accept /* (not on i386: accept4 only) */
	case SYS_accept:
#endif
	case SYS_accept4:
	case SYS_setsockopt:
	case SYS_shutdown:
	case SYS_dup:
	case SYS_dup2:
	case SYS_dup3:
	case SYS_fcntl:
	case SYS_sendmsg:
#ifdef SYS_recvmsg
	case SYS_recvmsg:
#endif
#ifdef SYS_recvmmsg
	case SYS_recvmmsg:
#endif
#ifdef SYS_recvmmsg_time64
	case SYS_recvmmsg_time64:
#endif
#ifdef SYS_pidfd_getfd
	case SYS_pidfd_getfd:
#endif
#ifdef SYS_epoll_create
	case SYS_epoll_create:
#endif
	case SYS_epoll_create1:
		return true;
	default:
		return fork_like(nr);
	}
}

static long real(long nr, const long *a)
{
	return libc_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static int sys_dup_(int fd)
{
	return (int)libc_syscall(SYS_dup, fd, 0, 0, 0, 0, 0);
}

static int sys_dup2_(int fd, int newfd, int flags)
{
	(void)flags;
	return (int)libc_syscall(SYS_dup2, fd, newfd, 0, 0, 0, 0);
}

static int sys_dup3_(int fd, int newfd, int flags)
{
	return (int)libc_syscall(SYS_dup3, fd, newfd, flags, 0, 0, 0);
}

static int sys_fcntl_(int fd, int cmd, void *arg)
{
	return (int)libc_syscall(SYS_fcntl, fd, cmd, (long)arg, 0, 0, 0);
}

/* The clone flags of a fork-like call (fork: none). */
static unsigned long long fork_flags(long nr, const long *a)
{
#ifdef SYS_clone3
	if (nr == SYS_clone3)
		return a[0] ? ((const struct clone_args *)a[0])->flags : CLONE_VM;
#endif
	return nr == SYS_clone ? (unsigned long long)a[0] : 0;
}

/* A watched call, the shim ready.  The arguments are read with the types
 * the kernel reads them with (an int is the low half of its register). */
static long route(long nr, const long *a)
{
	int fd = (int)a[0];
	long r;

	if (fork_like(nr)) {
		/* a fork made without fork(): fork()'s handlers, so that the
		 * child holds every socket as a forked one does, and its
		 * records get its own pid and thread id
		 * (regress_clone_child_holds_sockets; a clone sharing this
		 * memory changes nothing here: it would change them for the
		 * parent too) */
		if (fork_flags(nr, a) & CLONE_VM)
			return real(nr, a);
		if (fork_flags(nr, a) & CLONE_FILES) {
			/* one descriptor table for both: no holder more, and
			 * fork()'s handlers would close the shim's own
			 * descriptors in it; the child's ids only */
			r = real(nr, a);
			if (r == 0) {
				proc_after_fork_child();
				close_history_forked();
			}
			return r;
		}
		shim_fork_prepare();
		r = real(nr, a);
		shim_fork_done(r, fork_flags(nr, a));
		return r;
	}
	switch (nr) {
	case SYS_close:
		return close_path_close_nocancel(fd);
	case SYS_close_range:
		if ((unsigned)a[0] > (unsigned)a[1] ||
		    ((unsigned)a[2] & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)))
			break;
		return close_path_close_range_syscall((unsigned)a[0], (unsigned)a[1], (int)a[2]);
	case SYS_socket:
		r = real(nr, a);
		if (r >= 0)
			calls_socket_made((int)r, (int)a[0], (int)a[1], (int)a[2]);
		return r;
	case SYS_socketpair:
		r = real(nr, a);
		if (r == 0)
			calls_socketpair_made((const int *)a[3], (int)a[0], (int)a[1], (int)a[2]);
		return r;
#ifdef SYS_accept
	case SYS_accept:
#endif
	case SYS_accept4:
		if (shim_refuses(fd))
			return -1;
		r = real(nr, a);
		if (r >= 0)
			calls_accepted(fd, (int)r, nr == SYS_accept4 ? (int)a[3] : 0);
		return r;
	case SYS_setsockopt:
		if (shim_refuses(fd))
			return -1;
		r = real(nr, a);
		calls_setsockopt_done(fd, (int)a[1], (int)a[2], (const void *)a[3], (socklen_t)a[4],
				      (int)r);
		return r;
	case SYS_shutdown:
		if (shim_refuses(fd))
			return -1;
		r = real(nr, a);
		calls_shutdown_done(fd, (int)r);
		return r;
	case SYS_sendmsg: {
		const struct msghdr *msg = (const struct msghdr *)a[1];

		if (shim_refuses(fd))
			return -1;
		r = real(nr, a);
		if (r >= 0 && msg && msg->msg_controllen > 0)
			calls_sent(msg);
		return r;
	}
#ifdef SYS_recvmsg
	case SYS_recvmsg:
		fdtab_receive_begin();
		r = real(nr, a);
		fdtab_receive_end(calls_received((const struct msghdr *)a[1], r));
		return r;
#endif
#if defined(SYS_recvmmsg) || defined(SYS_recvmmsg_time64)
#ifdef SYS_recvmmsg
	case SYS_recvmmsg:
#endif
#ifdef SYS_recvmmsg_time64
	case SYS_recvmmsg_time64:
#endif
		fdtab_receive_begin();
		r = real(nr, a);
		fdtab_receive_end(calls_received_many((const struct mmsghdr *)a[1], r));
		return r;
#endif
#ifdef SYS_pidfd_getfd
	case SYS_pidfd_getfd:
		fdtab_receive_begin();
		r = real(nr, a);
		fdtab_receive_end(r >= 0); /* another process's descriptor */
		return r;
#endif
	case SYS_dup:
		return calls_dup(fd, sys_dup_);
	case SYS_dup2:
		return calls_dup3(fd, (int)a[1], 0, sys_dup2_);
	case SYS_dup3:
		if (fd == (int)a[1] || ((int)a[2] & ~O_CLOEXEC))
			break; /* refused by the kernel before it takes anything */
		return calls_dup3(fd, (int)a[1], (int)a[2], sys_dup3_);
	case SYS_fcntl:
		return calls_fcntl(sys_fcntl_, fd, (int)a[1], (void *)a[2]);
#ifdef SYS_epoll_create
	case SYS_epoll_create:
#endif
	case SYS_epoll_create1:
		return calls_epoll_created((int)real(nr, a));
	}
	return real(nr, a);
}

/* Six arguments always, as glibc's syscall() reads them: what the caller
 * did not pass is whatever is in those registers and stack slots, passed
 * on unread by the kernel.  The sixth is read from the caller's frame, a
 * slot it may not have written: AddressSanitizer, where the shim is built
 * with it, is told not to check these reads (a caller's syscall(SYS_close,
 * fd) beside a local array was "stack-buffer-underflow" there, glibc's own
 * syscall() reading the same slot unchecked). */
__attribute__((no_sanitize_address)) static void syscall_args(va_list ap, long a[6])
{
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
}

SHIM_EXPORT long syscall(long nr, ...)
{
	va_list ap;
	long a[6];

	va_start(ap, nr);
	syscall_args(ap, a);
	va_end(ap);
	/* Never the one to start the shim's initialisation: an allocator
	 * makes its own system calls through syscall() while it initialises
	 * (jemalloc reads /proc/sys/vm/overcommit_memory so, and closes it),
	 * under its lock, and the initialisation's dlsym would allocate:
	 * a deadlock (redis-server hung so).  Before the shim is ready, every
	 * number passes through. */
	if (__builtin_expect(nr == SYS_seccomp, 0)) {
		/* the program's own sandbox, whenever it comes: the shim
		 * steps aside (sandbox_calls.c) */
		long r = real(nr, a);

		if (sandbox_installed(a[0], a[1], r))
			shim_enter_sandbox();
		return r;
	}
	if (__builtin_expect(!watched(nr), 1) ||
	    __atomic_load_n(&shim_init_state, __ATOMIC_ACQUIRE) != INIT_DONE || vfork_in_child)
		return real(nr, a);
	return route(nr, a);
}
