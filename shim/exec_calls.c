/* Entry points that replace the program with another: the exec family.
 * The new image has none of the shim's memory, so what would be lost with
 * it is settled first (shim_before_exec): the closes still lingering in
 * the background finish (the exec would cut them, with a reset where the
 * peer was still sending), the rate limiter's counts of suppressed
 * records go out if this process is the one to report them, and drops not
 * yet told are told (regress_exec_keeps_counts; a daemon that re-execs
 * itself to reload lost them all).  An exec that fails returns as bare,
 * the process still in its fork tree.
 *
 * Each calls the next execve (or execvpe, fexecve, execveat) with what
 * glibc's own wrappers pass: execv, execl and execle are execve with the
 * environment (given, or environ), execvp and execlp are execvpe. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <unistd.h>

#include "export.h"
#include "libc.h"
#include "proc.h"
#include "shim.h"
#include "sys.h"

extern char **environ;

/* Whether this process is the one whose state the shim's memory holds:
 * not a vfork child, nor a child of clone(CLONE_VM) that execs (it shares
 * the parent's memory, the thread's call state too: it must touch none of
 * it), as at _exit (exit_calls.c). */
static bool own_state(void)
{
	return !shim_passthrough() && sys_getpid() == proc_owner_pid;
}

/* The real call, between the shim's settling and, if it returns (it
 * failed), the shim's taking up again; its result and errno as the call
 * gave them. */
#define EXEC_CALL(call)                                                                         \
	do {                                                                                    \
		bool own_ = own_state();                                                        \
		int ret_, err_;                                                                 \
                                                                                                \
		if (own_)                                                                       \
			shim_before_exec();                                                     \
		ret_ = (call);                                                                  \
		err_ = errno;                                                                   \
		if (own_)                                                                       \
			shim_exec_failed();                                                     \
		errno = err_;                                                                   \
		return ret_;                                                                    \
	} while (0)

SHIM_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	EXEC_CALL(libc_execve(path, argv, envp));
}

SHIM_EXPORT int execv(const char *path, char *const argv[])
{
	EXEC_CALL(libc_execve(path, argv, environ));
}

SHIM_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	EXEC_CALL(libc_execvpe(file, argv, envp));
}

SHIM_EXPORT int execvp(const char *file, char *const argv[])
{
	EXEC_CALL(libc_execvpe(file, argv, environ));
}

SHIM_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	EXEC_CALL(libc_fexecve(fd, argv, envp));
}

SHIM_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
			 int flags)
{
	EXEC_CALL(libc_execveat(dirfd, path, argv, envp, flags));
}

/* execl's arguments, counted and taken as glibc's execl does: argc from
 * arg on to the NULL (read even when arg is NULL), argv on the stack. */
static bool count_args(va_list ap, size_t *argc)
{
	va_list aq;
	size_t n = 1;

	va_copy(aq, ap);
	while (va_arg(aq, const char *)) {
		if (++n == INT_MAX) {
			va_end(aq);
			errno = E2BIG;
			return false;
		}
	}
	va_end(aq);
	*argc = n;
	return true;
}

/* (ap by its address: read on by the caller after, execle's envp; a
 * va_list passed by value is a copy on i386, and the caller's was not
 * advanced: execle passed the first argument for envp, regress_execle_envp) */
static void fill_args(char **argv, size_t argc, const char *arg, va_list *ap)
{
	argv[0] = (char *)arg;
	for (size_t i = 1; i <= argc; i++)
		argv[i] = va_arg(*ap, char *);
}

/* execl, execlp and execle: argv (and execle's envp) taken from ap as
 * glibc's own do, then execve (execvpe for execlp: the PATH search). */
enum execl_kind { EXECL, EXECLP, EXECLE };

static int execl_with(enum execl_kind kind, const char *file, const char *arg, va_list *ap)
{
	size_t argc;

	if (!count_args(*ap, &argc))
		return -1;
	{
		char *argv[argc + 1];
		char *const *envp = environ;

		fill_args(argv, argc, arg, ap);
		if (kind == EXECLE)
			envp = va_arg(*ap, char *const *);
		if (kind == EXECLP)
			EXEC_CALL(libc_execvpe(file, argv, envp));
		EXEC_CALL(libc_execve(file, argv, envp));
	}
}

SHIM_EXPORT int execl(const char *path, const char *arg, ...)
{
	va_list ap;
	int ret;

	va_start(ap, arg);
	ret = execl_with(EXECL, path, arg, &ap);
	va_end(ap);
	return ret;
}

SHIM_EXPORT int execlp(const char *file, const char *arg, ...)
{
	va_list ap;
	int ret;

	va_start(ap, arg);
	ret = execl_with(EXECLP, file, arg, &ap);
	va_end(ap);
	return ret;
}

SHIM_EXPORT int execle(const char *path, const char *arg, ...)
{
	va_list ap;
	int ret;

	va_start(ap, arg);
	ret = execl_with(EXECLE, path, arg, &ap);
	va_end(ap);
	return ret;
}
