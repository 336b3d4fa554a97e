/* Causes a double close, forks; the child causes one too, then execs
 * argv[1..] (if given) or exits.  The parent waits and exits with the
 * child's status.  Each double close happens in function
 * double_closer_<who>, named in the backtrace.
 *   fork_exec [-q] [PROG ARGS...]
 * -q: the child causes nothing before its exec; if the exec fails, it
 * causes its double close then, and exits 127. */
#include "progs.h"

#include <stdbool.h>
#include <sys/wait.h>

NOINLINE void double_closer_parent(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	close(fd);
	close(fd);
}

NOINLINE void double_closer_child(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	close(fd);
	close(fd);
}

int main(int argc, char **argv)
{
	int status;
	pid_t pid;
	bool quiet = argc > 1 && !strcmp(argv[1], "-q");

	if (quiet) {
		argv++;
		argc--;
	}
	double_closer_parent();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (!quiet)
			double_closer_child();
		if (argc > 1) {
			execv(argv[1], argv + 1);
			if (quiet) {
				double_closer_child();
				_exit(127);
			}
			die("execv");
		}
		_exit(0);
	}
	printf("child %d\n", (int)pid);
	fflush(stdout);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}
