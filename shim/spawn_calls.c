/* Entry points through which a socket reaches another process without a
 * fork(): vfork, posix_spawn, posix_spawnp, system, popen (the child
 * inherits every descriptor that is not close-on-exec) and sendmsg with
 * SCM_RIGHTS.  Such a socket is no longer held by this process alone, so
 * its close must not shut it down for the other holder (SOCKSHIM_GRACEFUL=1
 * lingers only on the last reference).  And the other way, recvmsg and
 * recvmmsg: what comes in SCM_RIGHTS is held here unseen, and pidfd_getfd
 * what it takes from another process. */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "calls.h"
#include "export.h"
#include "fdtab.h"
#include "libc.h"
#include "sharecount.h"
#include "shim.h"

__thread int vfork_in_child __attribute__((tls_model("initial-exec"), visibility("hidden")));

static bool share_if_inherited(int fd, uint32_t st, void *ctx)
{
	(void)ctx;
	if (!(st & FD_CLOSE_ON_EXEC)) {
		fdtab_or(fd, FD_SHARED);
		if (st & FD_COUNTED) /* a program no count follows holds it */
			sharecount_pin(fdtab_cookie(fd));
	}
	return true;
}

/* Every socket a child about to be spawned inherits is now shared. */
static void share_inheritable(void)
{
	if (__atomic_load_n(&shim_init_state, __ATOMIC_ACQUIRE) == INIT_DONE)
		fdtab_each(0, fdtab_program_limit() - 1, FD_SOCKET, share_if_inherited, NULL);
}

/* Called by the vfork trampoline (shim/vfork.S) before the system call. */
__attribute__((visibility("hidden"))) void shim_before_vfork(void);
void shim_before_vfork(void)
{
	int saved = errno;

	share_inheritable();
	errno = saved;
}

__attribute__((visibility("hidden"))) int shim_vfork_failed(int err);
int shim_vfork_failed(int err)
{
	errno = err;
	return -1;
}

SHIM_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	share_inheritable();
	return libc_posix_spawn(pid, path, fa, attr, argv, envp);
}

SHIM_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			     const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	share_inheritable();
	return libc_posix_spawnp(pid, file, fa, attr, argv, envp);
}

SHIM_EXPORT int system(const char *command)
{
	if (command) /* system(NULL) only asks whether a shell exists */
		share_inheritable();
	return libc_system(command);
}

SHIM_EXPORT FILE *popen(const char *command, const char *mode)
{
	share_inheritable();
	return libc_popen(command, mode);
}

/* Descriptors passed in SCM_RIGHTS: the receiver holds them too, and
 * until it has received them they are in no process's table (FD_PASSED). */
void calls_sent(const struct msghdr *msg)
{
	int saved = errno;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (fdtab_get(fd) & FD_SOCKET)
				fdtab_or(fd, FD_SHARED | FD_PASSED);
			if (fdtab_get(fd) & FD_COUNTED)
				sharecount_pin(fdtab_cookie(fd));
		}
	}
	errno = saved;
}

/* Descriptors received in SCM_RIGHTS: known from now on, each socket as
 * one another process may still hold (shared), so that its close gets the
 * checks and cures of any other (a worker that a primary hands its
 * connections, as Node's cluster does, reset its clients unrecorded:
 * regress_passed_socket).  Returns whether any came (the walks of
 * /proc/self/fd look again, as before). */
bool calls_received(const struct msghdr *msg, long ret)
{
	bool any = false;
	int saved = errno;

	/* the kernel wrote msg_controllen: msg is the caller's, readable */
	if (ret < 0 || !msg || msg->msg_controllen == 0)
		return false;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		any = true;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (fdtab_learn(fd) & FD_SOCKET)
				fdtab_or(fd, FD_SHARED);
		}
	}
	errno = saved;
	return any;
}

bool calls_received_many(const struct mmsghdr *vec, long n)
{
	for (long i = 0; i < n; i++)
		if (calls_received(&vec[i].msg_hdr, 0))
			return true;
	return false;
}

/* No check of the number, no refusal: whatever it brings is the
 * program's, and a shim's own socket never has SCM_RIGHTS to read.
 * Counted while in progress (fdtab_receive_begin), each call, msg unread
 * before (a bad pointer is the kernel's to refuse). */
SHIM_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t ret;

	fdtab_receive_begin();
	ret = libc_recvmsg(fd, msg, flags);
	fdtab_receive_end(calls_received(msg, ret));
	return ret;
}

SHIM_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned int n, int flags,
			 struct timespec *timeout)
{
	int ret;

	fdtab_receive_begin();
	ret = libc_recvmmsg(fd, vec, n, flags, timeout);
	fdtab_receive_end(calls_received_many(vec, ret));
	return ret;
}

#ifdef __i386__
/* A 32-bit program built with _TIME_BITS=64 calls these instead (glibc
 * 2.34; the same msghdr, its SCM_TIMESTAMP converted). */
ssize_t __recvmsg64(int fd, struct msghdr *msg, int flags);
int __recvmmsg64(int fd, struct mmsghdr *vec, unsigned int n, int flags, void *timeout);

SHIM_EXPORT ssize_t __recvmsg64(int fd, struct msghdr *msg, int flags)
{
	ssize_t ret;

	fdtab_receive_begin();
	ret = libc___recvmsg64(fd, msg, flags);
	fdtab_receive_end(calls_received(msg, ret));
	return ret;
}

SHIM_EXPORT int __recvmmsg64(int fd, struct mmsghdr *vec, unsigned int n, int flags,
			     void *timeout)
{
	int ret;

	fdtab_receive_begin();
	ret = libc___recvmmsg64(fd, vec, n, flags, timeout);
	fdtab_receive_end(calls_received_many(vec, ret));
	return ret;
}
#endif

/* glibc 2.36's wrapper (syscall(SYS_pidfd_getfd) is syscall_calls.c's): a
 * descriptor of another process's, taken; held here unseen.  (Declared
 * here: <sys/pidfd.h> is not in older glibc.) */
int pidfd_getfd(int pidfd, int targetfd, unsigned int flags);

SHIM_EXPORT int pidfd_getfd(int pidfd, int targetfd, unsigned int flags)
{
	int ret;

	fdtab_receive_begin();
	ret = libc_pidfd_getfd(pidfd, targetfd, flags);
	fdtab_receive_end(ret >= 0);
	return ret;
}

SHIM_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t ret;

	if (!shim_passthrough() && shim_refuses(fd))
		return -1;
	ret = libc_sendmsg(fd, msg, flags);

	/* Only after a successful send has the receiver got them; the kernel
	 * read the control data, so it is readable. */
	if (ret >= 0 && msg && msg->msg_controllen > 0 && !shim_passthrough())
		calls_sent(msg);
	return ret;
}
