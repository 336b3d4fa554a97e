/* The supervised processes: each one's pidfd, program name and close
 * history, found from the thread id a notification carries; and the
 * holders of each socket, for graceful close's "last reference". */
#define _GNU_SOURCE
#include "supervisor.h"

#include "config.h"

#include <dirent.h>
#include <errno.h>
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

/* The processes seen first (each at its first trapped call), the last
 * SEEN_RING of them: a fork's child that made a call and is gone since
 * (its exit took its holders back) is still known to have been made. */
#define SEEN_RING 64
static pid_t seen_ring[SEEN_RING];
static unsigned long n_seen;

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
		p->next = procs;
		procs = p;
		n_procs++;
		seen_ring[n_seen++ % SEEN_RING] = pid;
		if (sv_proc_watch)
			sv_proc_watch(p);
	} else if (!p->prog[0]) { /* exec'd since (the thread's slot was let
				     go meanwhile: any fork or exit lets all go) */
		read_prog(p);
	}
	if (tid != p->pid)
		p->threaded = true;
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

bool sv_proc_one_thread(void)
{
	return n_procs == 0 || (n_procs == 1 && procs && !procs->threaded);
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
	sv_after_forget_pidfd(p->pidfd);
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
	/* The new image starts with one thread (wake-ups: main.c); should
	 * the exec fail, the others are seen again at their next calls, the
	 * thread cache let go. */
	p->threaded = false;
	forget_all();
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

/* The number of the last task (process or thread) made in the
 * supervisor's pid namespace, which holds the program's: the fifth field
 * of /proc/loadavg; -1 if it cannot be read. */
static long last_pid(void)
{
	char buf[128];
	long v = -1;
	ssize_t n;
	int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n > 0) {
		char *slash;

		buf[n] = '\0';
		if ((slash = strchr(buf, '/')) && sscanf(slash, "/%*d %ld", &v) != 1)
			v = -1;
	}
	return v;
}

/* Whether task pid is gone, or going (its /proc entry is not there, or
 * says nothing: a task being reaped); false if it is there, or if it may
 * not be asked (hidepid). */
static bool task_gone(pid_t pid, pid_t *tgid, pid_t *ppid)
{
	errno = 0;
	*tgid = tgid_of(pid, ppid);
	return *tgid < 0 && errno != EACCES && errno != EPERM;
}

/* Whether one of the tasks made since p's fork was trapped (pids after
 * fork.last_pid up to now, in the supervisor's pid namespace) may be its
 * child.  On a busy host other programs make tasks too: each is asked
 * whose child it is.  Any that may be (a process whose parent is p, or
 * p's parent for a CLONE_PARENT child; one the supervisor saw make a call,
 * gone since; one that may not be asked; more tasks than are worth
 * asking, or pids that wrapped) counts.  Not a task gone without a trapped call:
 * had it been p's child, killed before its first, its holders would have
 * gone with it, as they now do. */
static bool child_may_be_made(struct sv_proc *p, long now)
{
	pid_t grand = 0;

	if (now < 0 || p->fork.last_pid < 0 || now < p->fork.last_pid ||
	    now - p->fork.last_pid > 256 || n_seen - p->fork.n_seen > SEEN_RING)
		return true;
	for (unsigned long i = p->fork.n_seen; i < n_seen; i++)
		if (seen_ring[i % SEEN_RING] > p->fork.last_pid && seen_ring[i % SEEN_RING] <= now)
			return true;
	if (tgid_of(p->pid, &grand) < 0)
		return true;
	for (long pid = p->fork.last_pid + 1; pid <= now; pid++) {
		pid_t tgid, ppid = 0;

		if (task_gone((pid_t)pid, &tgid, &ppid))
			continue;
		if (tgid < 0 || (tgid == pid && (ppid == p->pid || ppid == grand)))
			return true;
	}
	return false;
}

/* A fork let go as the same fork tried again may have been a new one: its
 * first try's child made and gone unseen (killed before any trapped call,
 * and reaped), the thread having made no trapped call in between (an
 * accept, a wait).  Once a child is made, the sockets the process holds
 * now that the first try's look did not count gain a holder: a socket
 * accepted in between was the new child's, and its parent's close of it
 * was taken for the last (regress_supervise_fork_unseen_child).  One more
 * than there are, for one opened since the fork, loses a record, never a
 * connection. */
static void fork_add_missed(struct sv_proc *p)
{
	char path[64];
	DIR *d;
	struct dirent *e;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)p->pid);
	if (!(d = opendir(path)))
		return;
	while ((e = readdir(d)) != NULL) {
		char link[64];
		ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof link - 1);
		unsigned long long ino;
		bool counted = false;

		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%llu]", &ino) != 1)
			continue;
		for (int i = 0; i < p->fork.n && !counted; i++)
			counted = p->fork.inos[i] == ino;
		if (!counted)
			sv_share_add(ino, 1);
	}
	closedir(d);
}

bool sv_proc_fork_settle(struct sv_proc *p, int nr)
{
	/* Whether the fork may have made a child: certainly not if no task
	 * at all was made since it was trapped (the last pid is the same),
	 * nor if none of those made is or was its child; anything else
	 * counts as made, and its holders stay (too many holders lose a
	 * record or a cure; too few would shut down a socket another process
	 * uses).  Not the thread's children file: a CLONE_PARENT child is
	 * its parent's sibling, and a thread may take the forker's id
	 * (regress_supervise_fork_clone_parent). */
	long now = last_pid();
	/* (no last pid to compare, /proc/loadavg hidden: made) */
	bool made = now < 0 || p->fork.last_pid < 0 ||
		    (now != p->fork.last_pid && child_may_be_made(p, now));

	/* The same fork, made again at once (a signal came while it was
	 * trapped: the kernel gives the fork up before it makes anything,
	 * runs the handler and makes it again): its holders stand, and it
	 * is let go without the look at every descriptor, which took longer
	 * than a 50 µs timer's period, so that the fork was never made
	 * (regress_supervise_fork_restarted). */
	if (!made && nr == p->fork.nr) {
		/* (the tasks up to now are known not to be its child: a
		 * child it makes later has a pid after them.  Asked again
		 * at each of thousands of tries under a fast timer, the range
		 * would only grow, with another program starting tasks.) */
		p->fork.last_pid = now;
		p->fork.n_seen = n_seen;
		p->fork.retried = true;
		return true;
	}
	if (!made)
		for (int i = 0; i < p->fork.n; i++)
			sv_share_close(p->fork.inos[i]);
	else if (p->fork.retried)
		fork_add_missed(p);
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
	p->fork.last_pid = last_pid();
	p->fork.n_seen = n_seen;
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
