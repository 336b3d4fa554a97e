/* Who else holds a socket (see holders.h). */
#define _GNU_SOURCE
#include "holders.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>

#include "sys.h"

/* "socket:[<ino>]" */
static int socket_link(char *out, uint64_t ino)
{
	char digits[24];
	int n = 0, k = 0;

	do {
		digits[n++] = (char)('0' + ino % 10);
		ino /= 10;
	} while (ino);
	for (const char *p = "socket:["; *p; p++)
		out[k++] = *p;
	while (n > 0)
		out[k++] = digits[--n];
	out[k++] = ']';
	return k;
}

static int number_of(const char *name)
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

static bool same_bytes(const char *a, const char *b, int n)
{
	for (int i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

int holders_in_dir(int dir, uint64_t ino, int skip)
{
	char buf[1024], want[40], link[40];
	int want_len = socket_link(want, ino), found = 0;
	ssize_t n;

	while ((n = sys_getdents64(dir, buf, sizeof buf)) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			int fd = number_of(d->d_name);
			ssize_t len;

			off += d->d_reclen;
			if (fd < 0 || fd == skip)
				continue;
			len = sys_readlinkat(dir, d->d_name, link, sizeof link);
			if (len == want_len && same_bytes(link, want, want_len))
				found++;
		}
	}
	return n < 0 ? -1 : found;
}

enum holders holders_beyond(int fd, uint64_t ino)
{
	char buf[1024], path[32];
	int procs = sys_openat(AT_FDCWD, "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	enum holders verdict = HOLDERS_NONE;
	pid_t self = sys_getpid();
	ssize_t n;

	if (procs < 0)
		return HOLDERS_UNKNOWN;
	while (verdict == HOLDERS_NONE && (n = sys_getdents64(procs, buf, sizeof buf)) > 0) {
		for (ssize_t off = 0; off < n && verdict == HOLDERS_NONE;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			int pid = number_of(d->d_name), dir, k = 0, got;

			off += d->d_reclen;
			if (pid <= 0)
				continue;
			for (const char *p = d->d_name; *p && k < 20; p++)
				path[k++] = *p;
			for (const char *p = "/fd"; *p; p++)
				path[k++] = *p;
			path[k] = '\0';
			dir = sys_openat(procs, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
			if (dir < 0) {
				/* gone meanwhile, or a kernel thread: nothing held */
				if (errno != ENOENT && errno != ESRCH)
					verdict = HOLDERS_UNKNOWN;
				continue;
			}
			got = holders_in_dir(dir, ino, pid == self ? fd : -1);
			sys_close(dir);
			if (got < 0)
				verdict = HOLDERS_UNKNOWN;
			else if (got > 0)
				verdict = HOLDERS_OTHERS;
		}
	}
	sys_close(procs);
	return verdict;
}
