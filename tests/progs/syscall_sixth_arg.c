/* syscall(SYS_close, fd) from a frame whose only local is an array, 100
 * times: the shim's syscall() reads six arguments, as glibc's does, the
 * sixth from the caller's stack slot, which this caller never wrote (in
 * an instrumented build, the array's redzone).  Prints "ok", exits 0. */
#include "progs.h"

#include <sys/syscall.h>

NOINLINE static int close_beside_array(void)
{
	int p[2];

	if (pipe(p) != 0)
		die("pipe");
	if (syscall(SYS_close, p[1]) != 0 || syscall(SYS_close, p[0]) != 0)
		return 1;
	__asm__ volatile("" ::: "memory"); /* no tail call */
	return 0;
}

int main(void)
{
	for (int i = 0; i < 100; i++)
		if (close_beside_array() != 0)
			die("syscall(SYS_close)");
	puts("ok");
	return 0;
}
