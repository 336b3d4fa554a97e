/* The program's epoll instances (see epollset.h): marked FD_EPOLL in the
 * descriptor table, so that a dup of one is one too and a close ends it. */
#define _GNU_SOURCE
#include "epollset.h"

#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>

#include "fdtab.h"
#include "proc.h"
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

static void find_inherited(void)
{
	proc_each_fd(note_if_epoll, NULL);
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
		fdtab_each(0, fdtab_program_limit() - 1, FD_EPOLL, forget_in, &fd);
	errno = saved;
}
