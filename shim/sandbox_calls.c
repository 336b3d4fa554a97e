/* The program's own seccomp sandbox (sshd's privilege-separated child,
 * vsftpd, tor): a filter that kills the process at any system call it does
 * not list.  The shim's own calls (the count of a socket's unread bytes at
 * its close or at exit, the naming of a socket, the log's writes, the
 * unwinder's look at the stack) are not on such a list: OpenSSH's
 * pre-authentication child was killed at its exit(), by the shim's
 * FIONREAD on its connection, and every login failed.  So once the
 * program's filter is in place, the shim steps aside in that process and
 * the ones it forks: every call passes through, no record, no cure
 * (shim_enter_sandbox).  Seen at prctl(PR_SET_SECCOMP) and at
 * syscall(SYS_seccomp, SECCOMP_SET_MODE_*) (syscall_calls.c); a filter
 * installed with an inline system call, or inherited across exec, is not
 * seen. */
#define _GNU_SOURCE
#include <linux/seccomp.h>
#include <stdarg.h>
#include <sys/prctl.h>

#include "export.h"
#include "libc.h"
#include "sandbox.h"
#include "shim.h"

bool sandbox_installed(long op, long flags, long ret)
{
	if (op == SECCOMP_SET_MODE_STRICT)
		return ret == 0;
	if (op != SECCOMP_SET_MODE_FILTER)
		return false;
	/* A listener's descriptor is a success too; but a TSYNC that failed
	 * returns the thread that could not be synchronised, and then no
	 * filter is in place (regress_sandboxed_program) */
	if (ret > 0)
		return (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) &&
		       (!(flags & SECCOMP_FILTER_FLAG_TSYNC) ||
			(flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH));
	return ret == 0;
}

/* glibc declares prctl variadic and reads four more arguments, as here
 * (the kernel ignores those an option does not use).  Not in a
 * ThreadSanitizer build: its runtime may call it while it initialises,
 * before instrumented code may run (as sigaction: signal_calls.c). */
#ifndef __SANITIZE_THREAD__
SHIM_EXPORT int prctl(int option, ...)
{
	unsigned long a[4];
	va_list ap;
	int ret;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	ret = libc_prctl(option, a[0], a[1], a[2], a[3]);
	if (option == PR_SET_SECCOMP && ret == 0 &&
	    (a[0] == SECCOMP_MODE_STRICT || a[0] == SECCOMP_MODE_FILTER))
		shim_enter_sandbox();
	return ret;
}
#endif
