/* The process's identity for the records. */
#define _GNU_SOURCE
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "coldmem.h"
#include "sys.h"

/* (FORK_HOT: on the page a forked child writes, coldmem.h) */
pid_t proc_pid FORK_HOT;
pid_t proc_ending FORK_HOT;
pid_t proc_owner_pid FORK_HOT;
char proc_prog[64];
char proc_host[65];

/* Changes in a forked child: a thread id kept before is its parent's. */
static uint32_t fork_gen FORK_HOT;
static __thread pid_t tid_kept __attribute__((tls_model("initial-exec")));
static __thread uint32_t tid_gen __attribute__((tls_model("initial-exec")));

pid_t proc_self_tid(void)
{
	uint32_t g = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED) + 1; /* 0: none kept */

	/* (a handler between the two stores finds the generation stale and
	 * stores the same values again) */
	if (__builtin_expect(tid_gen != g, 0)) {
		tid_kept = (pid_t)SYS6(SYS_gettid, 0, 0, 0, 0, 0, 0);
		tid_gen = g;
	}
	return tid_kept;
}

void proc_init(void)
{
	const char *name = program_invocation_short_name;
	size_t n = strnlen(name, sizeof proc_prog - 1);

	/* a longer name is cut before a UTF-8 character that does not fit
	 * whole, not in its middle (regress_prog_name_cut_whole_char) */
	if (name[n] != '\0')
		while (n > 0 && ((unsigned char)name[n] & 0xc0) == 0x80)
			n--;
	proc_pid = sys_getpid();
	proc_owner_pid = proc_pid;
	memcpy(proc_prog, name, n);
	proc_prog[n] = '\0';
	{
		struct utsname u;

		if (uname(&u) == 0) {
			n = strnlen(u.nodename, sizeof proc_host - 1);
			memcpy(proc_host, u.nodename, n);
			proc_host[n] = '\0';
		}
	}
}

void proc_after_fork_child(void)
{
	proc_pid = sys_getpid();
	__atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

SHIM_FORK_TEXT void proc_after_fork_handlers(void)
{
	proc_after_fork_child();
	proc_owner_pid = proc_pid;
}

int proc_thread_count(void)
{
	char buf[512], *p;
	ssize_t n;
	int fd = sys_openat(AT_FDCWD, "/proc/self/stat", O_RDONLY | O_CLOEXEC, 0), field;

	if (fd < 0)
		return -1;
	n = sys_read(fd, buf, sizeof buf - 1);
	sys_close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* "pid (comm) state ..." (comm may hold spaces and parentheses):
	 * num_threads is the 20th field, the 18th after the comm */
	p = strrchr(buf, ')');
	for (field = 2; p && field < 20; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return -1;
	for (field = 0, p++; *p >= '0' && *p <= '9' && field < 1000000; p++)
		field = field * 10 + (*p - '0');
	return field;
}

int proc_number(const char *name)
{
	int v = 0;

	if (name[0] < '0' || name[0] > '9')
		return -1;
	for (const char *q = name; *q; q++) {
		if (*q < '0' || *q > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*q - '0');
	}
	return v;
}

bool proc_each_entry(int dir, bool (*fn)(int num, int dir, const char *name, void *ctx), void *ctx)
{
	char buf[1024];
	ssize_t n;

	while ((n = sys_getdents64(dir, buf, sizeof buf)) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			int num = proc_number(d->d_name);

			off += d->d_reclen;
			if (num >= 0 && !fn(num, dir, d->d_name, ctx))
				return true;
		}
	}
	return n == 0;
}

struct each_fd {
	void (*fn)(int fd, int dir, const char *name, void *ctx);
	void *ctx;
};

static bool one_fd(int fd, int dir, const char *name, void *ctx)
{
	struct each_fd *e = ctx;

	if (fd != dir) /* the listing's own */
		e->fn(fd, dir, name, e->ctx);
	return true;
}

bool proc_each_fd(void (*fn)(int fd, int dir, const char *name, void *ctx), void *ctx)
{
	struct each_fd e = {fn, ctx};
	int dir = sys_openat(AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	bool whole;

	if (dir < 0)
		return false;
	whole = proc_each_entry(dir, one_fd, &e);
	sys_close(dir);
	return whole;
}
