/* Two call sites, each closing a number never opened (close_error) N
 * times: the rate limiter's limit is per site, with or without backtraces
 * (regress_sites_without_backtraces).
 *
 *   two_sites [N] */
#include "progs.h"

NOINLINE void first_site(void)
{
	close(-1);
}

NOINLINE void second_site(void)
{
	close(-1);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 25;

	for (int i = 0; i < n; i++)
		first_site();
	for (int i = 0; i < n; i++)
		second_site();
	return 0;
}
