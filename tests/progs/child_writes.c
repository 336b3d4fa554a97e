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
 * the pipe's write end a second time (a double_close record).  With
 * CHILD_WRITES_SITES set, each child instead closes the ends of three
 * pipes at six call sites, all at the same depth (as dnsmasq's child
 * closes five descriptors). */
#include "progs.h"
#include "shimpages.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/wait.h>

static long written(uintptr_t base, int n, char **ranges)
{
	int pm = open("/proc/self/pagemap", O_RDONLY);
	long pages;

	if (pm < 0)
		die("/proc/self/pagemap");
	pages = exclusive_pages(pm, base, n, ranges);
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

/* Six more call sites, each its own function (the store of k keeps the
 * compiler from folding them into one), whose captures all start at the
 * same stack depth. */
static volatile int site_sink;
#define CLOSE_AT(k)                                                                                \
	NOINLINE static void close_at_##k(int fd)                                                  \
	{                                                                                          \
		close(fd);                                                                         \
		site_sink = k;                                                                     \
	}
CLOSE_AT(0)
CLOSE_AT(1)
CLOSE_AT(2)
CLOSE_AT(3)
CLOSE_AT(4)
CLOSE_AT(5)

static void close_at_six_sites(void)
{
	int p[6];

	if (pipe(p) != 0 || pipe(p + 2) != 0 || pipe(p + 4) != 0)
		die("pipe");
	close_at_0(p[0]);
	close_at_1(p[1]);
	close_at_2(p[2]);
	close_at_3(p[3]);
	close_at_4(p[4]);
	close_at_5(p[5]);
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

			if (getenv("CHILD_WRITES_SITES")) {
				close_at_six_sites();
			} else {
				if (pipe(p) != 0)
					die("pipe");
				close_here(p[0]);
				close_here(p[1]);
				if (getenv("CHILD_WRITES_DOUBLE_CLOSE"))
					close_here(p[1]); /* EBADF: a double_close record */
			}
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
