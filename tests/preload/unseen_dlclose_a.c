/* A plugin of tests/progs/unseen_dlclose. */
#include <unistd.h>

int closer_in_a(void);
__attribute__((noinline)) int closer_in_a(void)
{
	int r = close(-1);

	__asm__ volatile("" ::: "memory");
	return r;
}
