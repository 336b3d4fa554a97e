/* The daemon idiom (dnsmasq's close_fds, glib's g_fdwalk, systemd's
 * fallback): close every number /proc/self/fd lists but 0, 1, 2 and the
 * listing's own, then close(-1), a bug of the program's, to show the log
 * still works.  Prints "listed N failed F" (F: closes that failed; under
 * the shim, those of its own numbers, EBADF). */
#include "progs.h"

#include <dirent.h>

int main(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int listed = 0, failed = 0;

	if (!d)
		die("opendir");
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd < 3 || fd == dirfd(d))
			continue;
		listed++;
		if (close(fd) != 0)
			failed++;
	}
	closedir(d);
	close(-1);
	printf("listed %d failed %d\n", listed, failed);
	return 0;
}
