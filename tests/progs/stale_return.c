/* A close from a function whose frame holds, among locals it never wrote, a
 * stale return address: spray()'s, from its call through a function
 * pointer, left where closer()'s frame lies now.  closer()'s call frame
 * information reads rbp (-O0, as a VLA or alloca in optimized code: glibc's
 * open_socket, which nscd lookups close from), which the supervisor cannot
 * read and guesses: the slot below the lowest return address above the
 * stub's that could return from a call of closer().  An indirect call can
 * call anything: spray's passed, and its frames stood in the backtrace
 * where main called closer().  Prints "close: 0", exits 0. */
#include "progs.h"

NOINLINE void target(void)
{
	__asm__ volatile("" ::: "memory");
}

void (*volatile via)(void) = target;

/* its frame as deep as closer()'s, the indirect call at its bottom */
NOINLINE void spray(void)
{
	volatile char pad[2048];

	pad[0] = 0;
	via();
	(void)pad[0];
}

NOINLINE int closer(int fd, size_t n)
{
	char buf[n]; /* (not written: spray()'s return address stays in it) */

	__asm__ volatile("" : : "r"(buf) : "memory");
	return close(fd);
}

int main(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), r;

	if (s < 0)
		die("socket");
	spray();
	r = closer(s, 4096);
	printf("close: %d\n", r);
	return 0;
}
