/* Whether this process has a heap (a "[heap]" line in /proc/self/maps)
 * when main starts, before it allocates anything: prints "heap" or "none".
 * A program that never calls malloc has none bare; the preloaded shim must
 * not make one for it (each 2 MiB region written is one more page table
 * for every fork to copy).  Reads the file with open/read: stdio would
 * allocate its buffer. */
#include "progs.h"

#include <fcntl.h>

int main(void)
{
	static char buf[65536];
	size_t len = 0;
	ssize_t n;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	const char *answer;

	if (fd < 0)
		return 2;
	while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	answer = strstr(buf, "[heap]") ? "heap\n" : "none\n";
	return write(1, answer, strlen(answer)) == (ssize_t)strlen(answer) ? 0 : 2;
}
