/* The process's identity for the records. */
#define _GNU_SOURCE
#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "sys.h"

pid_t proc_pid;
pid_t proc_ending;
pid_t proc_owner_pid;
char proc_prog[64];
char proc_host[65];

/* Changes in a forked child: a thread id kept before is its parent's. */
/* (zero-initialised: next to proc_pid, on the page a forked child writes
 * anyway; every other page it writes is one more copy-on-write fault) */
static uint32_t fork_gen;
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
	size_t n = strnlen(program_invocation_short_name, sizeof proc_prog - 1);

	proc_pid = sys_getpid();
	proc_owner_pid = proc_pid;
	memcpy(proc_prog, program_invocation_short_name, n);
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

void proc_after_fork_handlers(void)
{
	proc_after_fork_child();
	proc_owner_pid = proc_pid;
}

void proc_each_fd(void (*fn)(int fd, int dir, const char *name, void *ctx), void *ctx)
{
	char buf[1024];
	int dir = sys_openat(AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	ssize_t n;

	if (dir < 0)
		return;
	while ((n = sys_getdents64(dir, buf, sizeof buf)) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			int fd = 0;

			off += d->d_reclen;
			if (d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			for (const char *q = d->d_name; *q >= '0' && *q <= '9'; q++)
				fd = fd * 10 + (*q - '0');
			if (fd != dir)
				fn(fd, dir, d->d_name, ctx);
		}
	}
	sys_close(dir);
}
