/* A child made by clone(CLONE_FILES) shares its parent's descriptor table:
 * whatever the shim does in the child must leave the parent's descriptors
 * (its own log's among them) as they are.  The child ends at once (by
 * _exit, or through syscall(SYS_clone) when MODE is "sys"); then the
 * parent closes a number never open (a close_error record) and says
 * "done".
 *
 *   clone_files lib|sys */
#include "progs.h"

#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int child(void *arg)
{
	(void)arg;
	_exit(0);
}

NOINLINE void bad_close(void)
{
	close(-1);
}

int main(int argc, char **argv)
{
	static char stack[256 * 1024];
	long pid;

	if (argc != 2)
		return 2;
	if (strcmp(argv[1], "sys") == 0) {
		pid = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
		if (pid == 0)
			_exit(0);
	} else {
		pid = clone(child, stack + sizeof stack, CLONE_FILES | SIGCHLD, NULL);
	}
	if (pid < 0)
		die("clone");
	if (waitpid((pid_t)pid, NULL, 0) != pid)
		die("waitpid");
	bad_close();
	printf("done\n");
	return 0;
}
