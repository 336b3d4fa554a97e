/* The other plugin of tests/progs/unseen_dlclose: loaded where the first
 * was, under a longer name. */
#include <unistd.h>

int closer_in_b(void);
__attribute__((noinline)) int closer_in_b(void)
{
	int r = close(-1);

	__asm__ volatile("" ::: "memory");
	return r;
}
