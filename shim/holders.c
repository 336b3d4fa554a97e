/* Who else holds a socket (see holders.h): every process's fd listing in
 * /proc read with proc.c's walk of a listing. */
#define _GNU_SOURCE
#include "holders.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>

#include "proc.h"
#include "sys.h"

/* "socket:[<ino>]" into out (room for 40); its length. */
static int socket_link(char *out, uint64_t ino)
{
	char digits[24];
	int n = 0, k = sizeof "socket:[" - 1;

	memcpy(out, "socket:[", (size_t)k);
	do {
		digits[n++] = (char)('0' + ino % 10);
		ino /= 10;
	} while (ino);
	while (n > 0)
		out[k++] = digits[--n];
	out[k++] = ']';
	return k;
}

struct in_dir {
	const char *want;
	int want_len, skip, found;
};

static bool names_it(int fd, int dir, const char *name, void *ctx)
{
	struct in_dir *w = ctx;
	char link[40];
	ssize_t len;

	if (fd == w->skip)
		return true;
	len = sys_readlinkat(dir, name, link, sizeof link);
	if (len == w->want_len && memcmp(link, w->want, (size_t)len) == 0)
		w->found++;
	return true;
}

int holders_in_dir(int dir, uint64_t ino, int skip)
{
	char want[40];
	struct in_dir w = {want, socket_link(want, ino), skip, 0};

	if (proc_each_entry(dir, names_it, &w))
		return w.found;
	/* a process gone since its listing was opened (ENOENT) holds nothing
	 * now: not a listing that could not be read
	 * (test_regress_process_gone_during_scan) */
	return errno == ENOENT || errno == ESRCH ? w.found : -1;
}

struct beyond {
	uint64_t ino;
	int fd;
	pid_t self;
	enum holders verdict;
};

static bool one_process(int pid, int procs, const char *name, void *ctx)
{
	struct beyond *b = ctx;
	char path[32];
	size_t len = strlen(name);
	int dir, got;

	if (pid <= 0 || len > 20)
		return true;
	memcpy(path, name, len);
	memcpy(path + len, "/fd", sizeof "/fd");
	dir = sys_openat(procs, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (dir < 0) {
		/* gone meanwhile: nothing held; unreadable: cannot tell */
		if (errno != ENOENT && errno != ESRCH)
			b->verdict = HOLDERS_UNKNOWN;
		return b->verdict == HOLDERS_NONE;
	}
	got = holders_in_dir(dir, b->ino, pid == b->self ? b->fd : -1);
	sys_close(dir);
	if (got < 0)
		b->verdict = HOLDERS_UNKNOWN;
	else if (got > 0)
		b->verdict = HOLDERS_OTHERS;
	return b->verdict == HOLDERS_NONE;
}

enum holders holders_beyond(int fd, uint64_t ino)
{
	struct beyond b = {ino, fd, sys_getpid(), HOLDERS_NONE};
	int procs = sys_openat(AT_FDCWD, "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

	if (procs < 0)
		return HOLDERS_UNKNOWN;
	if (!proc_each_entry(procs, one_process, &b))
		b.verdict = HOLDERS_UNKNOWN;
	sys_close(procs);
	return b.verdict;
}
