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
