/* A fault-injecting preload, loaded after the shim: close() of the
 * descriptor number in $FAIL_CLOSE_FD really closes it, then reports EIO
 * (as NFS can), so that the shim sees a close that failed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int close(int fd)
{
	static int (*next)(int);
	const char *victim = getenv("FAIL_CLOSE_FD");
	int ret;

	if (!next)
		next = (int (*)(int))dlsym(RTLD_NEXT, "close");
	ret = next(fd);
	if (ret == 0 && victim && atoi(victim) == fd) {
		errno = EIO;
		return -1;
	}
	return ret;
}
