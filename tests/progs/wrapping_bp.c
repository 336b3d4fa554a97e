/* A close reached from a frame-pointer function (-O0, as the tests' programs
 * are built) through one without (helper(), optimized, no frame pointer)
 * that pushes the caller's rbx, which holds -8, right below its return
 * address: an unwinder that guesses the frame pointer from that slot takes
 * -8 for it and asks for the word at 0xfffffffffffffff8.  (Found with gdb
 * under the supervisor, and then this: the supervisor died of SIGSEGV.)
 * Prints "close: 0" and exits 0. */
#include "progs.h"

__attribute__((noinline, optimize("O2", "omit-frame-pointer"))) int helper(int fd, long v)
{
	/* v is kept in a callee-saved register across the close: rbx is pushed */
	int r = close(fd);

	return r + (int)(v >> 62);
}

NOINLINE int leaf(int fd)
{
	register long x __asm__("rbx") = -8;
	int r;

	__asm__ volatile("" : "+r"(x));
	r = helper(fd, fd);
	__asm__ volatile("" : "+r"(x));
	return r;
}

int main(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0)
		die("socket");
	printf("close: %d\n", leaf(s));
	return 0;
}
