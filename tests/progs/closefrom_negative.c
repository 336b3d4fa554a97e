/* closefrom() with a negative lowfd, which glibc takes for 0: everything
 * the program holds is closed, then it opens a file again and again (up to
 * its limit, so that every number is taken, whichever the shim's log had)
 * and double-closes one of them: a record to write.  For
 * regress_closefrom_negative_keeps_log.
 *
 *   closefrom_negative FILE */
#include "progs.h"

#include <fcntl.h>

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/null";
	int fd, opened = 0;

	close(-1); /* a record first: the log is open before the closefrom */
	closefrom(-1);
	while ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644)) >= 0 && opened < 70000)
		opened++;
	close(5);
	close(5);
	return opened > 5 ? 0 : 3;
}
