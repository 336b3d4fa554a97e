/* The program's epoll instances, and a socket's registrations in them (see
 * supervisor.h).
 *
 * An epoll registration lasts as long as the open socket, not its number:
 * the program's close of a number removes it only when that close drops
 * the socket's last reference.  The supervisor's copy (a lingering close,
 * or the look after the close: afterclose.c) is one more, so the program
 * would go on getting events for the number it closed, or for the
 * connection that takes the number next, with the data of the old one
 * (nginx then cut the answers of new connections short).  The library
 * removes the socket from the program's instances before it lingers
 * (shim/epollset.c); so does the supervisor, before the program's close
 * runs.
 *
 * A registration is found by the pair (open file, number) it was made
 * with.  kcmp(KCMP_EPOLL_TFD) says, from outside, whether the program's
 * socket is registered at its number in one of its instances.  Removing it
 * takes an EPOLL_CTL_DEL with that pair in the caller's own table: the
 * supervisor puts its copy of the socket at the program's number in a
 * copy of its descriptor table, in a child that shares its memory and
 * nothing else, and the child removes it from copies of the program's
 * instances. */
#define _GNU_SOURCE
#include "supervisor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The numbers of p's epoll instances, from /proc/PID/fd (again after an
 * epoll_create or an exec, or when one named is not an instance any
 * more). */
static void find_instances(struct sv_proc *p)
{
	char path[64], target[32];
	struct dirent *d;
	DIR *dir;

	p->epolls.n = 0;
	p->epolls.known = true;
	snprintf(path, sizeof path, "/proc/%d/fd", (int)p->pid);
	dir = opendir(path);
	if (!dir) {
		p->epolls.known = false;
		return;
	}
	while ((d = readdir(dir))) {
		ssize_t len;
		int fd;

		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		len = readlinkat(dirfd(dir), d->d_name, target, sizeof target - 1);
		if (len != 22 || memcmp(target, "anon_inode:[eventpoll]", 22) != 0)
			continue;
		fd = atoi(d->d_name);
		if (p->epolls.n == p->epolls.cap) {
			int cap = p->epolls.cap ? p->epolls.cap * 2 : 4;
			int *fds = realloc(p->epolls.fds, (size_t)cap * sizeof *fds);

			if (!fds)
				break;
			p->epolls.fds = fds;
			p->epolls.cap = cap;
		}
		p->epolls.fds[p->epolls.n++] = fd;
	}
	closedir(dir);
}

void sv_epolls_stale(struct sv_proc *p)
{
	p->epolls.known = false;
}

void sv_epolls_free(struct sv_proc *p)
{
	free(p->epolls.fds);
	p->epolls.fds = NULL;
	p->epolls.n = p->epolls.cap = 0;
	p->epolls.known = false;
}

/* Whether p's socket at fd is registered at fd in p's instance epfd: 1
 * yes, 0 no, -1 the instance is not one any more, 2 kcmp cannot tell. */
static int registered(const struct sv_proc *p, int epfd, int fd)
{
	/* (a registration of an earlier socket at the same number, still
	 * open elsewhere, may come first: a few are looked at) */
	for (unsigned off = 0; off < 4; off++) {
		struct kcmp_epoll_slot slot = {.efd = (unsigned)epfd, .tfd = (unsigned)fd,
					       .toff = off};
		long r = syscall(SYS_kcmp, p->pid, p->pid, KCMP_EPOLL_TFD, fd, &slot);

		if (r == 0)
			return 1;
		if (r > 0)
			continue; /* another socket's registration at the number */
		if (errno == ENOENT)
			return 0;
		if (errno == EBADF || errno == EINVAL)
			return -1;
		return 2; /* EPERM, ENOSYS (no CONFIG_KCMP): removed blindly */
	}
	return 0;
}

struct removal {
	int copy, fd;
	const int *instances; /* the supervisor's copies */
	int n;
};

/* In the child: the copy of the socket at the program's number, then the
 * removal from each instance.  Only system calls: the child shares the
 * supervisor's memory (and its stack is the static one below). */
static int remove_in_child(void *arg)
{
	const struct removal *r = arg;
	struct epoll_event unused = {0};

	if (r->copy != r->fd) {
		struct rlimit lim;

		/* an instance's copy at that number moves out of the way */
		for (int i = 0; i < r->n; i++)
			if (r->instances[i] == r->fd)
				syscall(SYS_exit, 1);
		/* The program's numbers may lie above the supervisor's limit
		 * (a server that raised its own): raised for this child alone
		 * (to the hard limit, or beyond where it may), or the number
		 * could not be had (regress_supervise_epoll_after_close). */
		if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &lim) == 0 &&
		    (rlim_t)r->fd >= lim.rlim_cur) {
			struct rlimit want = {lim.rlim_max, lim.rlim_max};

			if ((rlim_t)r->fd >= lim.rlim_max)
				want.rlim_cur = want.rlim_max = (rlim_t)r->fd + 1;
			if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &want, NULL) != 0 &&
			    (rlim_t)r->fd < lim.rlim_max) {
				want = (struct rlimit){lim.rlim_max, lim.rlim_max};
				syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &want, NULL);
			}
		}
		if (syscall(SYS_dup2, r->copy, r->fd) != r->fd)
			syscall(SYS_exit, 1);
	}
	for (int i = 0; i < r->n; i++)
		syscall(SYS_epoll_ctl, r->instances[i], EPOLL_CTL_DEL, r->fd, &unused);
	syscall(SYS_exit, 0);
	return 0;
}

bool sv_epolls_hold(struct sv_proc *p, int fd)
{
	bool held = false;

	if (!p->epolls.known)
		find_instances(p);
	/* (as sv_epolls_forget asks: an instance that is none any more is
	 * looked for again next time; kcmp that cannot tell counts) */
	for (int i = 0; i < p->epolls.n && !held; i++) {
		int is = registered(p, p->epolls.fds[i], fd);

		if (is < 0)
			p->epolls.known = false;
		held = is > 0;
	}
	return held;
}

void sv_epolls_forget(struct sv_proc *p, int fd, int copy)
{
	static char stack[16384] __attribute__((aligned(16)));
	int copies[16], n = 0, saved = errno;
	struct removal r;
	pid_t child;

	if (!p->epolls.known)
		find_instances(p);
	for (int i = 0; i < p->epolls.n && n < (int)(sizeof copies / sizeof copies[0]); i++) {
		int is = registered(p, p->epolls.fds[i], fd), c;

		if (is < 0)
			p->epolls.known = false; /* looked for again next time */
		if (is <= 0)
			continue;
		c = (int)syscall(SYS_pidfd_getfd, p->pidfd, p->epolls.fds[i], 0);
		if (c >= 0)
			copies[n++] = c;
	}
	if (n > 0) {
		/* An instance's copy at the program's number: moved away first. */
		for (int i = 0; i < n; i++)
			if (copies[i] == fd) {
				int moved = fcntl(copies[i], F_DUPFD_CLOEXEC, 0);

				close(copies[i]);
				copies[i] = moved;
			}
		r = (struct removal){copy, fd, copies, n};
		/* (no CLONE_FILES: the child's table is its own copy; no exit
		 * signal: reaped here, never seen by the loop's SIGCHLD) */
		child = clone(remove_in_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK, &r);
		if (child > 0)
			while (waitpid(child, NULL, __WCLONE) < 0 && errno == EINTR)
				;
		for (int i = 0; i < n; i++)
			if (copies[i] >= 0)
				close(copies[i]);
	}
	errno = saved;
}
