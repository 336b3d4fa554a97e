/* The second plugin of tests/progs/late_plugins: closes a socket twice (a
 * double_close), from its own function. */
#include <sys/socket.h>
#include <unistd.h>

void late_closer_b(void);
__attribute__((noinline)) void late_closer_b(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	close(fd);
	close(fd);
	__asm__ volatile("" ::: "memory");
}
