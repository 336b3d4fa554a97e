/* fork_quiet_children N: a close(-1) (a record: the per-process log file
 * is open from now on), then N children forked one after the other; each
 * exits without a record (the odd ones with exit(), the even ones with
 * _exit()), but the last, which makes one (close(-1)) first.  Prints the
 * last child's pid. */
#include "progs.h"

#include <sys/wait.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;
	pid_t child = 0;

	close(-1);
	for (int i = 0; i < n; i++) {
		child = fork();
		if (child < 0)
			die("fork");
		if (child == 0) {
			if (i == n - 1)
				close(-1);
			if (i % 2)
				exit(0);
			_exit(0);
		}
		if (waitpid(child, NULL, 0) != child)
			die("waitpid");
	}
	printf("last %d\n", (int)child);
	return 0;
}
