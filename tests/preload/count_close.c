/* Another preloaded library that wraps close() (as strace-like tools,
 * faketime or torsocks do), to check that sockshim stacks with it in either
 * order.  Counts the calls it sees and prints the count at exit. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

static int calls;

int close(int fd)
{
	static int (*next)(int);

	if (!next)
		next = (int (*)(int))dlsym(RTLD_NEXT, "close");
	calls++;
	return next(fd);
}

__attribute__((destructor)) static void report(void)
{
	fprintf(stderr, "count_close: %d\n", calls);
}
