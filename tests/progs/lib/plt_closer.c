/* A library's function that closes, built -O0 (its call frame information
 * reads rbp): tests/progs/plt_closer.c calls it through the PLT. */
#include <unistd.h>

int lib_closer(int fd);

int lib_closer(int fd)
{
	volatile char buf[64];

	buf[0] = 0;
	return close(fd) + buf[0];
}
