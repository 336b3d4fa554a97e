/* A forking server's children, each closing a pipe at the same call site,
 * and how many pages of given parts of the preloaded shim's memory each
 * child wrote: a page a child wrote is its own copy (or a page its parent
 * never had), which /proc/self/pagemap says "exclusively mapped"; a page
 * it only read is still shared with its parent.
 *
 *   child_writes CHILDREN OFFSET:SIZE...
 * OFFSET and SIZE (hex) are a range of the shim's address space from its
 * load address (as nm prints a symbol of libsockshim.so).  Each child
 * prints "child I wrote N" (N pages of the ranges).  Exit 3 when no shim
 * is loaded.  With CHILD_WRITES_DOUBLE_CLOSE set, each child also closes
 * the pipe's write end a second time (a double_close record). */
#include "progs.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/wait.h>

#define PAGE 4096UL
#define EXCLUSIVE (1ULL << 56)

/* The shim's load address: its mapping of the file's start. */
static uintptr_t shim_base(void)
{
	char line[4096];
	uintptr_t base = 0;
	FILE *maps = fopen("/proc/self/maps", "r");

	if (!maps)
		die("/proc/self/maps");
	while (!base && fgets(line, sizeof line, maps)) {
		unsigned long a, off;

		if (strstr(line, "/libsockshim.so") &&
		    sscanf(line, "%lx-%*x %*s %lx", &a, &off) == 2 && off == 0)
			base = a;
	}
	fclose(maps);
	return base;
}

static long written(uintptr_t base, int n, char **ranges)
{
	int pm = open("/proc/self/pagemap", O_RDONLY);
	long pages = 0;

	if (pm < 0)
		die("/proc/self/pagemap");
	for (int i = 0; i < n; i++) {
		unsigned long off, size;

		if (sscanf(ranges[i], "%lx:%lx", &off, &size) != 2)
			exit(2);
		for (uintptr_t p = (base + off) & ~(PAGE - 1); p < base + off + size; p += PAGE) {
			uint64_t e;

			if (pread(pm, &e, sizeof e, (off_t)(p / PAGE * sizeof e)) != (ssize_t)sizeof e)
				die("pagemap");
			if ((e >> 63) && (e & EXCLUSIVE))
				pages++;
		}
	}
	close(pm);
	return pages;
}

/* The call site every child closes at (a double_close's first_backtrace
 * would name it). */
NOINLINE static void close_here(int fd)
{
	close(fd);
	__asm__ volatile("" ::: "memory"); /* no tail call */
}

int main(int argc, char **argv)
{
	uintptr_t base = shim_base();
	int children = argc > 2 ? atoi(argv[1]) : 0;

	if (children <= 0)
		return 2;
	if (!base)
		return 3;
	for (int i = 1; i <= children; i++) {
		pid_t child;
		int status;

		fflush(stdout);
		child = fork();
		if (child < 0)
			die("fork");
		if (child == 0) {
			int p[2];

			if (pipe(p) != 0)
				die("pipe");
			close_here(p[0]);
			close_here(p[1]);
			if (getenv("CHILD_WRITES_DOUBLE_CLOSE"))
				close_here(p[1]); /* EBADF: a double_close record */
			printf("child %d wrote %ld\n", i, written(base, argc - 2, argv + 2));
			fflush(stdout);
			_exit(0);
		}
		if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			return 1;
	}
	return 0;
}
