/* The real functions behind the interposed symbols: the next definition after
 * sockshim in the lookup order (libc, or another preloaded library that
 * wraps the same call), found with dlsym(RTLD_NEXT).
 *
 * Every libc_* function may be called at any time, also before the shim's
 * constructor and from several threads at once: each binds its target on
 * first use.  A target that does not exist (close_range on an old libc)
 * fails with ENOSYS. */
#ifndef SHIM_LIBC_H
#define SHIM_LIBC_H

#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/socket.h>

int libc_socket(int domain, int type, int protocol);
int libc_socketpair(int domain, int type, int protocol, int sv[2]);
int libc_accept(int fd, struct sockaddr *addr, socklen_t *len);
int libc_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int libc_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int libc_shutdown(int fd, int how);
int libc_close(int fd);
int libc_dup(int fd);
int libc_dup2(int fd, int newfd);
int libc_dup3(int fd, int newfd, int flags);
int libc_fcntl(int fd, int cmd, void *arg);
int libc_fcntl64(int fd, int cmd, void *arg);
int libc_close_range(unsigned int first, unsigned int last, int flags);
ssize_t libc_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t libc_recvmsg(int fd, struct msghdr *msg, int flags);
int libc_recvmmsg(int fd, struct mmsghdr *vec, unsigned int n, int flags, struct timespec *timeout);
#ifdef __i386__
ssize_t libc___recvmsg64(int fd, struct msghdr *msg, int flags);
int libc___recvmmsg64(int fd, struct mmsghdr *vec, unsigned int n, int flags, void *timeout);
#endif
int libc_pidfd_getfd(int pidfd, int targetfd, unsigned int flags);
int libc_pipe2(int fds[2], int flags);
int libc_chroot(const char *path);
int libc_execve(const char *path, char *const argv[], char *const envp[]);
int libc_execvpe(const char *file, char *const argv[], char *const envp[]);
int libc_fexecve(int fd, char *const argv[], char *const envp[]);
int libc_execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags);
int libc_posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		     const posix_spawnattr_t *attr, char *const argv[], char *const envp[]);
int libc_posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
		      const posix_spawnattr_t *attr, char *const argv[], char *const envp[]);
int libc_system(const char *command);
FILE *libc_popen(const char *command, const char *mode);
struct sigaction;
int libc_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
void (*libc_signal(int sig, void (*handler)(int)))(int);
void libc_closefrom(int lowfd);
int libc_epoll_create(int size);
int libc_epoll_create1(int flags);
int libc_dlclose(void *handle);
int libc_sigaltstack(const stack_t *ss, stack_t *old);
int libc_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);

int libc_fclose(FILE *fp);
int libc_fcloseall(void);
FILE *libc_freopen(const char *path, const char *mode, FILE *fp);
FILE *libc_freopen64(const char *path, const char *mode, FILE *fp);
/* _exit(status): the next _exit in line (a sanitizer's, or libc's), the
 * exit_group system call if there is none. */
void libc__exit(int status) __attribute__((noreturn));
/* clone(fn, stack, flags, arg, ptid, tls, ctid): the next clone() in line. */
int libc_clone(int (*fn)(void *), void *stack, int flags, void *arg, pid_t *ptid, void *tls,
	       pid_t *ctid);
/* _Fork(): the next _Fork in line (glibc 2.34's fork without handlers). */
pid_t libc__Fork(void);
/* syscall(nr, a..f): the next syscall() in line (another preload's, or
 * libc's), the system call itself before the constructor bound it. */
long libc_syscall(long nr, long a, long b, long c, long d, long e, long f);

/* Binds every target now.  Called from the constructor so that the first
 * interposed call of the program does not pay for dlsym. */
void libc_bind_all(void);

#endif
