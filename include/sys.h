/* The shim's own system calls, made directly: never through the PLT (where
 * another preloaded library, a tracer, would see the shim's housekeeping as
 * the program's), never a cancellation point (glibc's write, recv, poll and
 * open are; a thread cancelled inside the shim's own work would leave its
 * state half-done), and never through an interposed syscall().
 *
 * Each returns what the libc wrapper would: the result, or -1 with errno
 * set. */
#ifndef SHIM_SYS_H
#define SHIM_SYS_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
static inline long sys_raw6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#else
/* Elsewhere glibc's syscall(), which is not a cancellation point either
 * (the next one in line: the shim's own syscall() is interposed). */
long libc_syscall(long nr, long a, long b, long c, long d, long e, long f);
static inline long sys_raw6(long nr, long a, long b, long c, long d, long e, long f)
{
	long ret = libc_syscall(nr, a, b, c, d, e, f);

	return ret == -1 ? -errno : ret;
}
#endif

static inline long sys_ret(long r)
{
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

#define SYS6(nr, a, b, c, d, e, f) \
	sys_ret(sys_raw6((nr), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f)))

static inline int sys_close(int fd) { return (int)SYS6(SYS_close, fd, 0, 0, 0, 0, 0); }
static inline ssize_t sys_read(int fd, void *buf, size_t n) { return SYS6(SYS_read, fd, buf, n, 0, 0, 0); }
static inline ssize_t sys_write(int fd, const void *buf, size_t n) { return SYS6(SYS_write, fd, buf, n, 0, 0, 0); }
static inline int sys_openat(int dir, const char *path, int flags, mode_t mode)
{
	return (int)SYS6(SYS_openat, dir, path, flags, mode, 0, 0);
}
static inline int sys_fcntl(int fd, int cmd, long arg) { return (int)SYS6(SYS_fcntl, fd, cmd, arg, 0, 0, 0); }
#if defined(__x86_64__)
static inline int sys_fstat(int fd, struct stat *st) { return (int)SYS6(SYS_fstat, fd, st, 0, 0, 0, 0); }
#elif defined(__i386__)
/* i386: the kernel's struct stat64 (its old struct stat is not libc's),
 * by fstat64/fstatat64, and the fields copied into libc's struct stat:
 * glibc's fstat and fstatat go through statx with a 256-byte struct on the
 * stack, which a handler's small alternate stack has no room for
 * (regress_altstack_i386_log_check).  As glibc's: EOVERFLOW for an inode
 * number that does not fit; a size that does not is given as the
 * largest. */
struct sys_stat64 {
	unsigned long long st_dev;
	unsigned char pad0[4];
	unsigned long short_ino;
	unsigned int st_mode;
	unsigned int st_nlink;
	unsigned long st_uid;
	unsigned long st_gid;
	unsigned long long st_rdev;
	unsigned char pad3[4];
	long long st_size;
	unsigned long st_blksize;
	unsigned long long st_blocks;
	unsigned long st_atime_s, st_atime_ns, st_mtime_s, st_mtime_ns, st_ctime_s, st_ctime_ns;
	unsigned long long st_ino;
};

static inline int sys_stat_of(long r, const struct sys_stat64 *k, struct stat *st)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	if ((ino_t)k->st_ino != k->st_ino) {
		errno = EOVERFLOW;
		return -1;
	}
	memset(st, 0, sizeof *st);
	st->st_dev = (dev_t)k->st_dev;
	st->st_ino = (ino_t)k->st_ino;
	st->st_mode = k->st_mode;
	st->st_nlink = k->st_nlink;
	st->st_uid = k->st_uid;
	st->st_gid = k->st_gid;
	st->st_rdev = (dev_t)k->st_rdev;
	st->st_size = (off_t)k->st_size == k->st_size ? (off_t)k->st_size
						      : (off_t)((1ull << (sizeof(off_t) * 8 - 1)) - 1);
	st->st_blksize = (blksize_t)k->st_blksize;
	st->st_blocks = (blkcnt_t)k->st_blocks;
	return 0;
}

static inline int sys_fstat(int fd, struct stat *st)
{
	struct sys_stat64 k;

	return sys_stat_of(sys_raw6(SYS_fstat64, fd, (long)&k, 0, 0, 0, 0), &k, st);
}

static inline int sys_fstatat(int dir, const char *path, struct stat *st, int flags)
{
	struct sys_stat64 k;

	return sys_stat_of(sys_raw6(SYS_fstatat64, dir, (long)path, (long)&k, flags, 0, 0), &k,
			   st);
}
#else
static inline int sys_fstat(int fd, struct stat *st) { return fstat(fd, st); }
static inline int sys_fstatat(int dir, const char *path, struct stat *st, int flags)
{
	return fstatat(dir, path, st, flags);
}
#endif
static inline ssize_t sys_recv(int fd, void *buf, size_t n, int flags)
{
	return SYS6(SYS_recvfrom, fd, buf, n, flags, 0, 0);
}
static inline ssize_t sys_sendmsg(int fd, const struct msghdr *m, int flags)
{
	return SYS6(SYS_sendmsg, fd, m, flags, 0, 0, 0);
}
static inline int sys_shutdown(int fd, int how) { return (int)SYS6(SYS_shutdown, fd, how, 0, 0, 0, 0); }
static inline int sys_setsockopt(int fd, int level, int name, const void *v, socklen_t len)
{
	return (int)SYS6(SYS_setsockopt, fd, level, name, v, len, 0);
}
static inline int sys_getsockopt(int fd, int level, int name, void *v, socklen_t *len)
{
	return (int)SYS6(SYS_getsockopt, fd, level, name, v, len, 0);
}
static inline int sys_getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	return (int)SYS6(SYS_getsockname, fd, sa, len, 0, 0, 0);
}
static inline int sys_getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	return (int)SYS6(SYS_getpeername, fd, sa, len, 0, 0, 0);
}
static inline int sys_socket(int domain, int type, int proto)
{
	return (int)SYS6(SYS_socket, domain, type, proto, 0, 0, 0);
}
static inline int sys_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	return (int)SYS6(SYS_connect, fd, sa, len, 0, 0, 0);
}
static inline int sys_poll(struct pollfd *p, nfds_t n, int timeout_ms)
{
	struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000};

	return (int)SYS6(SYS_ppoll, p, n, timeout_ms < 0 ? NULL : &ts, NULL, 0, 0);
}
static inline int sys_epoll_ctl(int ep, int op, int fd, void *ev)
{
	return (int)SYS6(SYS_epoll_ctl, ep, op, fd, ev, 0, 0);
}
static inline int sys_epoll_create1(int flags) { return (int)SYS6(SYS_epoll_create1, flags, 0, 0, 0, 0, 0); }
/* (epoll_pwait with no mask: every architecture has it, not epoll_wait) */
static inline int sys_epoll_wait(int ep, void *events, int n, int timeout_ms)
{
	return (int)SYS6(SYS_epoll_pwait, ep, events, n, timeout_ms, 0, 0);
}
static inline int sys_pipe2(int fds[2], int flags) { return (int)SYS6(SYS_pipe2, fds, flags, 0, 0, 0, 0); }
static inline pid_t sys_getpid(void) { return (pid_t)SYS6(SYS_getpid, 0, 0, 0, 0, 0, 0); }
static inline int sys_sigaltstack(const stack_t *ss, stack_t *old)
{
	return (int)SYS6(SYS_sigaltstack, ss, old, 0, 0, 0, 0);
}
static inline int sys_sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	return (int)SYS6(SYS_rt_sigprocmask, how, set, old, 8, 0, 0);
}
static inline ssize_t sys_getdents64(int fd, void *buf, size_t n)
{
	return SYS6(SYS_getdents64, fd, buf, n, 0, 0, 0);
}
static inline ssize_t sys_readlinkat(int dir, const char *path, char *buf, size_t n)
{
	return SYS6(SYS_readlinkat, dir, path, buf, n, 0, 0);
}

#endif
