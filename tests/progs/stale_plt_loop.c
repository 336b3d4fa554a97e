/* N closes (argv[1], 2000 by default), each at another depth (alloca), so
 * that no unwind of the supervisor is a replay, from closer(), which has a
 * VLA: its unwritten words hold the return address of its own earlier
 * call of close through the PLT, a candidate of every guess of its frame
 * pointer (regress_supervise_plt_slot_kept).  Prints "closed N". */
#include <alloca.h>

#include "progs.h"

NOINLINE int closer(int fd, size_t n)
{
	char buf[n];

	__asm__ volatile("" : : "r"(buf) : "memory");
	return close(fd);
}

NOINLINE int B(int fd, int k)
{
	volatile long junk[4] = {k, k * 3, k * 7, k};

	(void)junk;
	return closer(fd, 512);
}

NOINLINE int A(int fd, int k)
{
	char *p = alloca((size_t)(k % 4096) * 16 + 16);

	p[0] = 0;
	__asm__ volatile("" : : "r"(p) : "memory");
	return B(fd, k);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;

	for (int k = 0; k < n; k++) {
		int s = socket(AF_INET, SOCK_STREAM, 0);

		if (s < 0)
			die("socket");
		A(s, k);
	}
	printf("closed %d\n", n);
	return 0;
}
