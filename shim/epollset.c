/* The program's epoll instances (see epollset.h): marked FD_EPOLL in the
 * descriptor table, so that a dup of one is one too and a close ends it. */
#define _GNU_SOURCE
#include "epollset.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>

#include "fdtab.h"
#include "sys.h"

static int any;		   /* an epoll instance was ever seen */
static int inherited_done; /* /proc/self/fd was searched */

void epollset_note(int epfd)
{
	fdtab_or(epfd, FD_EPOLL);
	__atomic_store_n(&any, 1, __ATOMIC_RELEASE);
}

/* Instances the process had before the shim could see them made (across
 * exec): "anon_inode:[eventpoll]" in /proc/self/fd. */
static void find_inherited(void)
{
	char buf[1024];
	int dir = sys_openat(AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	ssize_t n;

	if (dir < 0)
		return;
	while ((n = sys_getdents64(dir, buf, sizeof buf)) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			char target[32];
			ssize_t len;
			int fd = 0;

			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			for (const char *p = d->d_name; *p >= '0' && *p <= '9'; p++)
				fd = fd * 10 + (*p - '0');
			if (fd == dir || (fdtab_get(fd) & (FD_SOCKET | FD_PRIVATE | FD_EPOLL)))
				continue;
			len = sys_readlinkat(dir, d->d_name, target, sizeof target - 1);
			if (len == 22 && memcmp(target, "anon_inode:[eventpoll]", 22) == 0)
				epollset_note(fd);
		}
	}
	sys_close(dir);
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
		find_inherited();
	if (__atomic_load_n(&any, __ATOMIC_ACQUIRE))
		fdtab_each(0, fdtab_limit() - 1, FD_EPOLL, forget_in, &fd);
	errno = saved;
}
