/* The program's epoll instances (see epollset.h): marked FD_EPOLL in the
 * descriptor table, so that a dup of one is one too and a close ends it. */
#define _GNU_SOURCE
#include "epollset.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>

#include "fdtab.h"
#include "proc.h"
#include "sys.h"

static int highest = -1;   /* the highest number an instance was seen at */
static int inherited_done; /* instances from before exec were looked for */

void epollset_note(int epfd)
{
	int h = __atomic_load_n(&highest, __ATOMIC_RELAXED);

	fdtab_or(epfd, FD_EPOLL);
	/* The release orders the mark before the bound that makes the walk
	 * look at it. */
	while (h < epfd && !__atomic_compare_exchange_n(&highest, &h, epfd, true, __ATOMIC_RELEASE,
							 __ATOMIC_RELAXED))
		;
}

/* The size of the process's descriptor table ("FDSize:" in
 * /proc/self/status): every open number is below it.  0: unknown. */
static int table_size(void)
{
	char buf[512];
	int fd = sys_openat(AT_FDCWD, "/proc/self/status", O_RDONLY | O_CLOEXEC, 0), size = 0;
	ssize_t n = fd >= 0 ? sys_read(fd, buf, sizeof buf - 1) : -1;
	const char *p;

	if (fd >= 0)
		sys_close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "\nFDSize:");
	if (!p)
		return 0;
	for (p += 9; *p == '\t' || *p == ' '; p++)
		;
	for (; *p >= '0' && *p <= '9' && size < (1 << 30); p++)
		size = size * 10 + (*p - '0');
	return size;
}

/* Instances the process had before the shim could see them made (across
 * exec): "anon_inode:[eventpoll]" in /proc/self/fd. */
static void note_if_epoll(int fd, int dir, const char *name, void *ctx)
{
	char target[32];
	ssize_t len;

	(void)ctx;
	if (fdtab_get(fd) & (FD_SOCKET | FD_PRIVATE | FD_EPOLL))
		return;
	len = sys_readlinkat(dir, name, target, sizeof target - 1);
	if (len == 22 && memcmp(target, "anon_inode:[eventpoll]", 22) == 0)
		epollset_note(fd);
}

/* Numbers up to which the instances from before exec are looked for one
 * by one; above, the listing's cost (by the descriptors open) is the
 * smaller. */
#define SCAN_MAX 8192

/* Instances the process had before the shim could see them made (across
 * exec), found by the removal itself: at a number the shim knows nothing
 * of, the removal of fd fails with EBADF (nothing open there) or EINVAL
 * (not an epoll instance), and otherwise it is one (ENOENT: fd was not in
 * it).  One system call a number the shim does not know, where a listing
 * of /proc/self/fd makes the kernel build an inode for every descriptor
 * open: the first graceful close with 1000 connections open took 7.4 ms,
 * 0.36 ms so (bench first-close 1000).  A table larger than SCAN_MAX (a
 * program with a number that high) is listed. */
static void find_inherited(int fd)
{
	int size = table_size();
	struct epoll_event unused = {0};
	struct rlimit rl;

	if (size > SCAN_MAX && proc_each_fd(note_if_epoll, NULL))
		return;
	/* (no /proc: up to the descriptor limit, within reason) */
	if (size <= 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0)
		size = rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;
	for (int n = 0; n < size; n++) {
		if (n == fd || (fdtab_get(n) & (FD_SOCKET | FD_PRIVATE | FD_EPOLL)))
			continue;
		if (sys_epoll_ctl(n, EPOLL_CTL_DEL, fd, &unused) == 0 || errno == ENOENT)
			epollset_note(n);
	}
}

static bool forget_in(int epfd, uint32_t st, void *ctx)
{
	struct epoll_event unused = {0};

	(void)st;
	/* ENOENT: it was not in this one. */
	sys_epoll_ctl(epfd, EPOLL_CTL_DEL, *(int *)ctx, &unused);
	return true;
}

void epollset_forget(int fd, bool look_inherited)
{
	int saved = errno;

	if (look_inherited && !__atomic_exchange_n(&inherited_done, 1, __ATOMIC_ACQ_REL))
		find_inherited(fd);
	/* Up to the highest instance, not the whole table: an event-loop
	 * server's instances come first, and the walk of every number up to
	 * its limit (lighttpd's 4096) was in each of its closes. */
	int h = __atomic_load_n(&highest, __ATOMIC_ACQUIRE), limit = fdtab_program_limit() - 1;

	if (h >= 0)
		fdtab_each(0, h < limit ? h : limit, FD_EPOLL, forget_in, &fd);
	errno = saved;
}
