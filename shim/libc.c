/* Binding of the real functions.
 *
 * Each target is looked up with dlsym(RTLD_NEXT) the first time it is needed
 * and kept in an atomic pointer.  Threads that race to the first call may all
 * look it up; they store the same value, so no lock is needed, and a lock
 * here could be found held by a signal handler or a forked child.
 *
 * dlsym reports a missing symbol through dlerror, which allocates; only the
 * optional targets (close_range, closefrom, _Fork) can be missing, and every target
 * is bound once from the constructor by libc_bind_all(). */
#define _GNU_SOURCE
#include "libc.h"

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "coldmem.h"
#include "sys.h"

/* Binds *slot to the next definition of name, or, if there is none, to
 * the given stand-in (which fails with ENOSYS), so that the fast path is one
 * load and one test. */
static void *bind_next(void **slot, const char *name, void *missing)
{
	void *fn = dlsym(RTLD_NEXT, name);

	if (!fn)
		fn = missing;
	__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	return fn;
}

/* Defines libc_NAME(params) calling the bound target with args; a missing
 * target fails with ENOSYS, returning fail. */
#define LIBC_CALL(ret, name, fail, params, args)                                    \
	static ret name##_missing params                                            \
	{                                                                           \
		errno = ENOSYS;                                                     \
		return fail;                                                        \
	}                                                                           \
	static void *name##_next;                                                   \
	static void *name##_bind(void)                                              \
	{                                                                           \
		return bind_next(&name##_next, #name, (void *)name##_missing);      \
	}                                                                           \
	ret libc_##name params                                                      \
	{                                                                           \
		void *fn = __atomic_load_n(&name##_next, __ATOMIC_ACQUIRE);         \
		if (__builtin_expect(fn == NULL, 0))                                \
			fn = name##_bind();                                         \
		return ((ret(*) params)fn)args;                                     \
	}

/* The stand-ins ignore their parameters. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
LIBC_CALL(int, socket, -1, (int domain, int type, int protocol), (domain, type, protocol))
LIBC_CALL(int, socketpair, -1, (int domain, int type, int protocol, int sv[2]),
	  (domain, type, protocol, sv))
LIBC_CALL(int, accept, -1, (int fd, struct sockaddr *addr, socklen_t *len), (fd, addr, len))
LIBC_CALL(int, accept4, -1, (int fd, struct sockaddr *addr, socklen_t *len, int flags),
	  (fd, addr, len, flags))
LIBC_CALL(int, setsockopt, -1, (int fd, int level, int name, const void *val, socklen_t len),
	  (fd, level, name, val, len))
/* (the wrappers of what a forked child calls: SHIM_FORK_TEXT, coldmem.h) */
SHIM_FORK_TEXT int libc_shutdown(int fd, int how);
LIBC_CALL(int, shutdown, -1, (int fd, int how), (fd, how))
SHIM_FORK_TEXT int libc_close(int fd);
LIBC_CALL(int, close, -1, (int fd), (fd))
LIBC_CALL(int, clone, -1,
	  (int (*start)(void *), void *stack, int flags, void *arg, pid_t *ptid, void *tls,
	   pid_t *ctid),
	  (start, stack, flags, arg, ptid, tls, ctid))
/* glibc 2.34 and later; missing before (no program calls it there) */
LIBC_CALL(pid_t, _Fork, -1, (void), ())
LIBC_CALL(int, dup, -1, (int fd), (fd))
LIBC_CALL(int, dup2, -1, (int fd, int newfd), (fd, newfd))
LIBC_CALL(int, dup3, -1, (int fd, int newfd, int flags), (fd, newfd, flags))
SHIM_FORK_TEXT int libc_fcntl(int fd, int cmd, void *arg);
LIBC_CALL(int, fcntl, -1, (int fd, int cmd, void *arg), (fd, cmd, arg))
SHIM_FORK_TEXT int libc_fcntl64(int fd, int cmd, void *arg);
LIBC_CALL(int, fcntl64, -1, (int fd, int cmd, void *arg), (fd, cmd, arg))
LIBC_CALL(int, close_range, -1, (unsigned int first, unsigned int last, int flags),
	  (first, last, flags))
LIBC_CALL(ssize_t, sendmsg, -1, (int fd, const struct msghdr *msg, int flags), (fd, msg, flags))
LIBC_CALL(ssize_t, recvmsg, -1, (int fd, struct msghdr *msg, int flags), (fd, msg, flags))
LIBC_CALL(int, recvmmsg, -1,
	  (int fd, struct mmsghdr *vec, unsigned int n, int flags, struct timespec *timeout),
	  (fd, vec, n, flags, timeout))
#ifdef __i386__
/* what a 32-bit program built with _TIME_BITS=64 calls (glibc 2.34) */
LIBC_CALL(ssize_t, __recvmsg64, -1, (int fd, struct msghdr *msg, int flags), (fd, msg, flags))
LIBC_CALL(int, __recvmmsg64, -1,
	  (int fd, struct mmsghdr *vec, unsigned int n, int flags, void *timeout),
	  (fd, vec, n, flags, timeout))
#define TIME64_BINDERS __recvmsg64_bind, __recvmmsg64_bind,
#else
#define TIME64_BINDERS
#endif
LIBC_CALL(int, pidfd_getfd, -1, (int pidfd, int targetfd, unsigned int flags),
	  (pidfd, targetfd, flags))
LIBC_CALL(int, sigaction, -1, (int sig, const struct sigaction *act, struct sigaction *old),
	  (sig, act, old))
LIBC_CALL(int, pipe2, -1, (int fds[2], int flags), (fds, flags))
LIBC_CALL(int, epoll_create, -1, (int size), (size))
LIBC_CALL(int, epoll_create1, -1, (int flags), (flags))
LIBC_CALL(int, dlclose, -1, (void *handle), (handle))
LIBC_CALL(int, sigaltstack, -1, (const stack_t *ss, stack_t *old), (ss, old))
LIBC_CALL(int, prctl, -1,
	  (int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5),
	  (option, a2, a3, a4, a5))
LIBC_CALL(int, chroot, -1, (const char *path), (path))
LIBC_CALL(int, execve, -1, (const char *path, char *const argv[], char *const envp[]),
	  (path, argv, envp))
LIBC_CALL(int, execvpe, -1, (const char *file, char *const argv[], char *const envp[]),
	  (file, argv, envp))
LIBC_CALL(int, fexecve, -1, (int fd, char *const argv[], char *const envp[]), (fd, argv, envp))
LIBC_CALL(int, execveat, -1,
	  (int dirfd, const char *path, char *const argv[], char *const envp[], int flags),
	  (dirfd, path, argv, envp, flags))
/* posix_spawn reports failure as its return value, not in errno */
LIBC_CALL(int, posix_spawn, ENOSYS,
	  (pid_t * pid, const char *path, const posix_spawn_file_actions_t *fa,
	   const posix_spawnattr_t *attr, char *const argv[], char *const envp[]),
	  (pid, path, fa, attr, argv, envp))
LIBC_CALL(int, posix_spawnp, ENOSYS,
	  (pid_t * pid, const char *file, const posix_spawn_file_actions_t *fa,
	   const posix_spawnattr_t *attr, char *const argv[], char *const envp[]),
	  (pid, file, fa, attr, argv, envp))
LIBC_CALL(int, system, -1, (const char *command), (command))
LIBC_CALL(FILE *, popen, NULL, (const char *command, const char *mode), (command, mode))
LIBC_CALL(int, fclose, EOF, (FILE * fp), (fp))
LIBC_CALL(int, fcloseall, EOF, (void), ())
LIBC_CALL(FILE *, freopen, NULL, (const char *path, const char *mode, FILE *fp), (path, mode, fp))
LIBC_CALL(FILE *, freopen64, NULL, (const char *path, const char *mode, FILE *fp),
	  (path, mode, fp))
typedef void (*handler_fn)(int);
LIBC_CALL(handler_fn, signal, SIG_ERR, (int sig, handler_fn handler), (sig, handler))

/* closefrom returns nothing: a missing one is marked with this address. */
#define CLOSEFROM_MISSING ((void *)1)
static void *closefrom_next;
static void *closefrom_bind(void)
{
	return bind_next(&closefrom_next, "closefrom", CLOSEFROM_MISSING);
}

void libc_closefrom(int lowfd)
{
	void *fn = __atomic_load_n(&closefrom_next, __ATOMIC_ACQUIRE);

	if (!fn)
		fn = closefrom_bind();
	if (fn != CLOSEFROM_MISSING)
		((void (*)(int))fn)(lowfd);
	else /* an older libc: what its closefrom would do */
		libc_close_range((unsigned int)lowfd, ~0U, 0);
}

/* _exit returns nothing: with no next definition, the system call
 * glibc's _exit makes. */
static void *exit_next;
static void *exit_bind(void)
{
	return bind_next(&exit_next, "_exit", NULL);
}

SHIM_FORK_TEXT void libc__exit(int status)
{
	void (*fn)(int) = (void (*)(int))__atomic_load_n(&exit_next, __ATOMIC_ACQUIRE);

	if (!fn)
		fn = (void (*)(int))exit_bind();
	if (fn)
		fn(status);
	for (;;)
		sys_raw6(SYS_exit_group, status, 0, 0, 0, 0, 0);
}

/* syscall() is bound only here, from libc_bind_all: the programs that call
 * it (Rust's futexes, libstdc++'s) may do so before the shim's
 * constructor, even inside their allocator's lock, where dlsym must not
 * run.  Until then the system call is made directly, as glibc's syscall()
 * makes it. */
static void *syscall_next;

SHIM_FORK_TEXT long libc_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
	long (*fn)(long, ...) = (long (*)(long, ...))__atomic_load_n(&syscall_next, __ATOMIC_ACQUIRE);

	if (__builtin_expect(fn != NULL, 1))
		return fn(nr, a, b, c, d, e, f);
#if defined(__x86_64__)
	return sys_ret(sys_raw6(nr, a, b, c, d, e, f));
#else
	fn = (long (*)(long, ...))bind_next(&syscall_next, "syscall", NULL);
	return fn(nr, a, b, c, d, e, f);
#endif
}

static void *syscall_bind(void)
{
	return bind_next(&syscall_next, "syscall", NULL);
}

void libc_bind_all(void)
{
	static void *(*const binders[])(void) = {
		socket_bind, socketpair_bind, accept_bind, accept4_bind, setsockopt_bind,
		shutdown_bind, close_bind, dup_bind, dup2_bind, dup3_bind, fcntl_bind,
		fcntl64_bind, close_range_bind, closefrom_bind, sendmsg_bind, recvmsg_bind, recvmmsg_bind,
		TIME64_BINDERS pidfd_getfd_bind, sigaction_bind,
		signal_bind, pipe2_bind, posix_spawn_bind, posix_spawnp_bind, system_bind,
		popen_bind, epoll_create_bind, epoll_create1_bind, sigaltstack_bind, prctl_bind,
		dlclose_bind,
		fclose_bind, fcloseall_bind, freopen_bind, freopen64_bind, syscall_bind,
		exit_bind, clone_bind, _Fork_bind, execve_bind, execvpe_bind, fexecve_bind, execveat_bind, chroot_bind,
	};
	int saved = errno;

	for (size_t i = 0; i < sizeof binders / sizeof binders[0]; i++)
		binders[i]();
	/* dlsym of a missing symbol leaves a message for dlerror(); the
	 * program must not find it there. */
	dlerror();
	errno = saved;
}
