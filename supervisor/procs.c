/* The supervised processes: each one's pidfd, program name and close
 * history, found from the thread id a notification carries; and the
 * holders of each socket, for graceful close's "last reference". */
#define _GNU_SOURCE
#include "supervisor.h"

#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

void (*sv_proc_watch)(struct sv_proc *p);

static struct sv_proc *procs;
static int n_procs;

/* thread id -> process, a cache filled at a thread's first call and
 * emptied when any process goes (a thread id can be reused only after its
 * thread is gone; a dead thread of a live process leaves an entry that
 * still names the right thread group, whose descriptors are what
 * matters). */
#define TID_SLOTS 8192
static struct {
	pid_t tid;
	int sysfd1; /* its /proc/PID/task/TID/syscall, open, + 1 (0: none) */
	struct sv_proc *p;
} tids[TID_SLOTS];

/* Files kept open in the map, at most SYSFD_KEPT: one per thread that
 * ever made a trapped call filled the supervisor's descriptor limit in a
 * program that makes a thread per connection and never forks nor exits,
 * and every copy of a socket it took after that failed, its close_rst
 * with it (1024: after ~1000 threads, regress_supervise_threads_keep_
 * descriptors).  Past the bound they are all let go, and opened again at
 * need (a thread's next call costs one open more). */
#define SYSFD_KEPT 256
static unsigned n_sysfds;

static void close_sysfd(unsigned j)
{
	if (tids[j].sysfd1) {
		close(tids[j].sysfd1 - 1);
		tids[j].sysfd1 = 0;
		n_sysfds--;
	}
}

static void close_sysfds(void)
{
	for (unsigned j = 0; j < TID_SLOTS && n_sysfds; j++)
		close_sysfd(j);
}

/* Empties the map (and closes the files it kept open). */
static void forget_all(void)
{
	close_sysfds();
	memset(tids, 0, sizeof tids);
}

static unsigned tid_slot(pid_t tid)
{
	return ((unsigned)tid * 2654435761u) % TID_SLOTS;
}

static pid_t tgid_of(pid_t tid, pid_t *ppid)
{
	char path[64], buf[512];
	int fd;
	ssize_t n;
	char *t;

	snprintf(path, sizeof path, "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	t = strstr(buf, "\nPPid:");
	*ppid = t ? (pid_t)atoi(t + 6) : 0;
	t = strstr(buf, "\nTgid:");
	return t ? (pid_t)atoi(t + 6) : -1;
}

pid_t sv_parent_of(pid_t pid)
{
	pid_t ppid = 0;

	return tgid_of(pid, &ppid) < 0 ? 0 : ppid;
}

/* The program's short name, as the library's program_invocation_short_name:
 * argv[0] without its directory. */
static void read_prog(struct sv_proc *p)
{
	char path[64], buf[256];
	int fd;
	ssize_t n;
	const char *name = buf, *s;

	p->prog[0] = '\0';
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)p->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (s = buf; *s; s++)
		if (*s == '/')
			name = s + 1;
	snprintf(p->prog, sizeof p->prog, "%.63s", name);
}

static struct sv_proc *find_pid(pid_t pid)
{
	for (struct sv_proc *p = procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

struct sv_proc *sv_proc_of(pid_t tid)
{
	unsigned i = tid_slot(tid);
	struct sv_proc *p;
	pid_t pid, ppid = 0;

	for (unsigned k = 0; k < 16; k++) {
		unsigned j = (i + k) % TID_SLOTS;

		if (!tids[j].p)
			break;
		if (tids[j].tid == tid) {
			if (!tids[j].p->prog[0]) /* exec'd since */
				read_prog(tids[j].p);
			return tids[j].p;
		}
	}
	pid = tgid_of(tid, &ppid);
	if (pid <= 0)
		return NULL;
	p = find_pid(pid);
	if (!p) {
		struct sv_proc *parent = find_pid(ppid);

		p = calloc(1, sizeof *p);
		if (!p)
			return NULL;
		p->pid = pid;
		p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (p->pidfd < 0) {
			free(p);
			return NULL;
		}
		read_prog(p);
		/* A forked child runs its parent's image at the same addresses
		 * until it execs (its exec drops what it shares): the parent's
		 * unwinder, with its modules and names, serves it too. */
		if (parent && parent->uw && parent->prog[0] && !strcmp(parent->prog, p->prog))
			p->uw = sv_unwind_share(parent->uw);
		if (parent) /* (a child of a fork in progress: it made one) */
			parent->children_seen++;
		p->next = procs;
		procs = p;
		n_procs++;
		if (sv_proc_watch)
			sv_proc_watch(p);
	} else if (!p->prog[0]) { /* exec'd since (the thread's slot was let
				     go meanwhile: any fork or exit lets all go) */
		read_prog(p);
	}
	for (unsigned k = 0; k < 16; k++) {
		unsigned j = (i + k) % TID_SLOTS;

		if (!tids[j].p || k == 15) {
			close_sysfd(j);
			tids[j].tid = tid;
			tids[j].p = p;
			break;
		}
	}
	return p;
}

int sv_proc_count(void)
{
	return n_procs;
}

struct sv_proc *sv_proc_by_pidfd(int pidfd)
{
	for (struct sv_proc *p = procs; p; p = p->next)
		if (p->pidfd == pidfd)
			return p;
	return NULL;
}

void sv_proc_forget_tids(void)
{
	forget_all();
}

int sv_proc_syscall_fd(struct sv_proc *p, pid_t tid, bool fresh)
{
	unsigned i = tid_slot(tid);

	for (unsigned k = 0; k < 16; k++) {
		unsigned j = (i + k) % TID_SLOTS;

		if (!tids[j].p)
			break;
		if (tids[j].tid == tid && tids[j].p == p) {
			if (fresh)
				close_sysfd(j);
			if (!tids[j].sysfd1) {
				char path[64];
				int fd;

				if (n_sysfds >= SYSFD_KEPT)
					close_sysfds();
				snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)p->pid,
					 (int)tid);
				fd = open(path, O_RDONLY | O_CLOEXEC);
				if (fd < 0)
					return -1;
				tids[j].sysfd1 = fd + 1;
				n_sysfds++;
			}
			return tids[j].sysfd1 - 1;
		}
	}
	return -1;
}

/* The fork in progress, forgotten (what it added stays). */
static void fork_forget(struct sv_proc *p)
{
	free(p->fork.inos);
	free(p->fork.kids);
	free(p->fork.fds);
	memset(&p->fork, 0, sizeof p->fork);
}

void sv_proc_gone(struct sv_proc *p)
{
	struct sv_proc **pp;

	/* The map is a cache: emptied whole, refilled from /proc at misses
	 * (a process's exit is rare next to its calls). */
	forget_all();
	for (pp = &procs; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			n_procs--;
			break;
		}
	if (p->n_exec_fds) /* exec'd (or not) and gone: closed either way */
		for (int i = 0; i < p->n_exec_fds; i++)
			sv_share_close(p->exec_fds[i].ino);
	free(p->exec_fds);
	fork_forget(p);
	close(p->pidfd);
	free(p->hist);
	sv_unwind_free(p->uw);
	sv_epolls_free(p);
	free(p);
}

/* The close-on-exec sockets of p ("flags:" of /proc/PID/fdinfo/N has
 * O_CLOEXEC). */
static void note_cloexec_sockets(struct sv_proc *p)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	int cap = 0;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)p->pid);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d)) != NULL) {
		char link[64], info[320], buf[256];
		unsigned long long ino;
		ssize_t n;
		int fd;
		char *f;

		if (e->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), e->d_name, link, sizeof link - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		snprintf(info, sizeof info, "/proc/%d/fdinfo/%s", (int)p->pid, e->d_name);
		fd = open(info, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		f = strstr(buf, "flags:");
		if (!f || !(strtoul(f + 6, NULL, 8) & O_CLOEXEC))
			continue;
		if (p->n_exec_fds == cap) {
			struct sv_exec_fd *m = realloc(p->exec_fds, (size_t)(cap = cap ? cap * 2 : 16) *
								     sizeof *m);

			if (!m)
				break;
			p->exec_fds = m;
		}
		p->exec_fds[p->n_exec_fds].fd = atoi(e->d_name);
		p->exec_fds[p->n_exec_fds].ino = ino;
		p->n_exec_fds++;
	}
	closedir(d);
}

void sv_proc_exec_settle(struct sv_proc *p)
{
	for (int i = 0; i < p->n_exec_fds; i++) {
		int t = (int)syscall(SYS_pidfd_getfd, p->pidfd, p->exec_fds[i].fd, 0);
		struct stat st;
		bool same = false;

		if (t >= 0) {
			same = fstat(t, &st) == 0 && (uint64_t)st.st_ino == p->exec_fds[i].ino;
			close(t);
		}
		if (!same) /* closed by the exec */
			sv_share_close(p->exec_fds[i].ino);
	}
	free(p->exec_fds);
	p->exec_fds = NULL;
	p->n_exec_fds = 0;
}

void sv_proc_exec(struct sv_proc *p)
{
	sv_proc_exec_settle(p); /* an earlier exec that failed */
	if (shim_cfg.sockets_watched)
		note_cloexec_sockets(p);
	free(p->hist);
	p->hist = NULL;
	sv_unwind_free(p->uw);
	p->uw = NULL;
	sv_epolls_stale(p); /* (those it keeps across the exec are found again) */
	p->prog[0] = '\0'; /* read again at its next call, from the new image */
}

/* ---- the close history: where each number was last closed ------------- */

void sv_hist_note(struct sv_proc *p, int fd, const uint64_t *ips, int n)
{
	struct sv_hist *h;

	if (fd < 0)
		return;
	if (!p->hist) {
		p->hist = malloc(SV_HIST_SLOTS * sizeof *p->hist);
		if (!p->hist)
			return;
		for (int i = 0; i < SV_HIST_SLOTS; i++)
			p->hist[i].fd = -1;
	}
	h = &p->hist[fd % SV_HIST_SLOTS];
	h->fd = fd;
	if (n > (int)(sizeof h->ips / sizeof h->ips[0]))
		n = (int)(sizeof h->ips / sizeof h->ips[0]);
	h->n = n;
	memcpy(h->ips, ips, (size_t)n * sizeof *ips);
}

const struct sv_hist *sv_hist_find(struct sv_proc *p, int fd)
{
	if (!p->hist || fd < 0 || p->hist[fd % SV_HIST_SLOTS].fd != fd)
		return NULL;
	return &p->hist[fd % SV_HIST_SLOTS];
}

void sv_hist_forget(struct sv_proc *p, int fd)
{
	if (p->hist && fd >= 0 && p->hist[fd % SV_HIST_SLOTS].fd == fd)
		p->hist[fd % SV_HIST_SLOTS].fd = -1;
}

/* ---- holders of sockets ------------------------------------------------ */

/* inode -> holders beyond the first; open addressing, deletions by
 * backward shift.  Only sockets that were ever shared are here. */
static struct share {
	uint64_t ino;
	int extra;
} *shares;
static size_t share_cap, share_n;

static size_t share_home(uint64_t ino)
{
	return (size_t)((ino * 0x9e3779b97f4a7c15ULL) >> 20) & (share_cap - 1);
}

static struct share *share_find(uint64_t ino)
{
	if (!share_cap)
		return NULL;
	for (size_t i = share_home(ino);; i = (i + 1) & (share_cap - 1)) {
		if (shares[i].ino == ino)
			return &shares[i];
		if (!shares[i].ino)
			return NULL;
	}
}

static void share_put(uint64_t ino, int extra);

static void share_grow(void)
{
	struct share *old = shares;
	size_t old_cap = share_cap;

	share_cap = share_cap ? share_cap * 2 : 1024;
	shares = calloc(share_cap, sizeof *shares);
	share_n = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].ino)
			share_put(old[i].ino, old[i].extra);
	free(old);
}

static void share_put(uint64_t ino, int extra)
{
	size_t i;

	if ((share_n + 1) * 2 > share_cap)
		share_grow();
	for (i = share_home(ino); shares[i].ino && shares[i].ino != ino; i = (i + 1) & (share_cap - 1))
		;
	if (!shares[i].ino)
		share_n++;
	shares[i].ino = ino;
	shares[i].extra = extra;
}

static void share_del(struct share *s)
{
	size_t i = (size_t)(s - shares), j = i;

	share_n--;
	for (;;) {
		shares[i].ino = 0;
		for (;;) {
			size_t k;

			j = (j + 1) & (share_cap - 1);
			if (!shares[j].ino)
				return;
			k = share_home(shares[j].ino);
			/* can the entry at j move to i? */
			if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j)))
				break;
		}
		shares[i] = shares[j];
		i = j;
	}
}

void sv_share_add(uint64_t ino, int n)
{
	struct share *s = share_find(ino);

	if (!ino || n <= 0)
		return;
	share_put(ino, (s ? s->extra : 0) + n);
}

int sv_share_close(uint64_t ino)
{
	struct share *s = share_find(ino);
	int holders;

	if (!s)
		return 1;
	holders = s->extra + 1;
	if (--s->extra <= 0)
		share_del(s);
	return holders;
}

static int by_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* The children of thread tid of p, sorted, into *kids (malloc'd); how
 * many (0 with *kids NULL where there are none or they cannot be read). */
static int children_of(const struct sv_proc *p, pid_t tid, pid_t **kids)
{
	char path[80], *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t r;
	int fd, n = 0;

	*kids = NULL;
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)p->pid, (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	do {
		if (len + 64 > cap) {
			char *m = realloc(buf, cap = cap ? 2 * cap : 256);

			if (!m)
				break;
			buf = m;
		}
		r = read(fd, buf + len, cap - len - 1);
		len += r > 0 ? (size_t)r : 0;
	} while (r > 0);
	close(fd);
	if (!buf)
		return 0;
	buf[len] = '\0';
	for (char *t = buf, *end; *t; t = end) {
		long v = strtol(t, &end, 10);
		pid_t *m;

		if (end == t)
			break;
		if (!(m = realloc(*kids, (size_t)(n + 1) * sizeof *m)))
			break;
		*kids = m;
		(*kids)[n++] = (pid_t)v;
	}
	free(buf);
	qsort(*kids, (size_t)n, sizeof **kids, by_pid);
	return n;
}


static int by_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The numbers p has open, sorted, into *fds (malloc'd); how many, -1 if
 * they cannot be read.  Names only: no readlink. */
static int fd_numbers(const struct sv_proc *p, int **fds)
{
	char path[64];
	struct dirent *e;
	int n = 0, cap = 0;
	DIR *d;

	*fds = NULL;
	snprintf(path, sizeof path, "/proc/%d/fd", (int)p->pid);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			int *m = realloc(*fds, (size_t)(cap = cap ? 2 * cap : 64) * sizeof *m);

			if (!m) {
				n = -1;
				break;
			}
			*fds = m;
		}
		(*fds)[n++] = atoi(e->d_name);
	}
	closedir(d);
	if (n > 0)
		qsort(*fds, (size_t)n, sizeof **fds, by_int);
	return n;
}

bool sv_proc_fork_settle(struct sv_proc *p, int nr)
{
	pid_t *now;
	int *fds = NULL;
	int n = children_of(p, p->fork.tid, &now), n_fds;
	bool made = p->children_seen != p->fork.seen;

	/* a child it had not then: this fork's (the thread was in it till
	 * this call), alive, or gone unseen; one seen at its first call
	 * (made) may have come and gone already */
	for (int i = 0; i < n && !made; i++)
		made = !bsearch(&now[i], p->fork.kids, (size_t)p->fork.n_kids, sizeof now[0], by_pid);
	free(now);
	/* The same fork, made again at once (a signal came while it was
	 * trapped: the kernel gives the fork up, runs the handler, and makes
	 * it again): its holders stand, and it is let go without the look at
	 * every descriptor, which took longer than a 50 µs timer's period, so
	 * that the fork was never made (regress_supervise_fork_restarted).
	 * Unless the process has other numbers open (not the same fork: one
	 * whose child died unseen, then another). */
	if (!made && nr == p->fork.nr) {
		n_fds = fd_numbers(p, &fds);
		if (n_fds == p->fork.n_fds && n_fds >= 0 &&
		    (n_fds == 0 || !memcmp(fds, p->fork.fds, (size_t)n_fds * sizeof *fds))) {
			free(fds);
			return true;
		}
		free(fds);
	}
	if (!made)
		for (int i = 0; i < p->fork.n; i++)
			sv_share_close(p->fork.inos[i]);
	fork_forget(p);
	return false;
}

void sv_share_fork(struct sv_proc *p, pid_t tid, int nr)
{
	char path[64];
	DIR *d;
	struct dirent *e;
	int dfd, cap = 0;
	bool noted = true;

	/* (another thread's fork in progress keeps what it added: it may be
	 * under way still) */
	fork_forget(p);
	snprintf(path, sizeof path, "/proc/%d/fd", (int)p->pid);
	d = opendir(path);
	if (!d)
		return;
	p->fork.tid = tid;
	p->fork.nr = nr;
	p->fork.seen = p->children_seen;
	p->fork.n_kids = children_of(p, tid, &p->fork.kids);
	p->fork.n_fds = fd_numbers(p, &p->fork.fds);
	dfd = dirfd(d);
	while ((e = readdir(d)) != NULL) {
		char link[64];
		ssize_t n;
		unsigned long long ino;

		if (e->d_name[0] == '.')
			continue;
		n = readlinkat(dfd, e->d_name, link, sizeof link - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		sv_share_add(ino, 1);
		if (noted && p->fork.n == cap) {
			uint64_t *m = realloc(p->fork.inos, (size_t)(cap = cap ? 2 * cap : 16) * sizeof *m);

			if (m)
				p->fork.inos = m;
			noted = m != NULL;
		}
		if (noted)
			p->fork.inos[p->fork.n++] = ino;
	}
	closedir(d);
	if (!noted) /* (not taken back, then: more holders than there are) */
		fork_forget(p);
}
