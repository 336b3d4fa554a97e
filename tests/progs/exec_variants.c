/* Each of the exec family, in a child: the child execs /bin/sh, which
 * prints its arguments and $SHIM_EXEC_VAR (set in the environment given,
 * or in environ); then an exec that fails (its errno).  The output is the
 * same bare and under the shim.
 *
 *   exec_variants */
#define _GNU_SOURCE
#include "progs.h"

#include <fcntl.h>
#include <sys/wait.h>

#define SCRIPT "echo \"$0 $1 [$SHIM_EXEC_VAR]\""

static void run(const char *name, int which)
{
	static char var[] = "SHIM_EXEC_VAR=given", sh[] = "sh", c[] = "-c", script[] = SCRIPT,
		    x[] = "x";
	char *envp[] = {var, NULL};
	char *argv[] = {sh, c, script, (char *)name, x, NULL};
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		switch (which) {
		case 0: execl("/bin/sh", "sh", "-c", SCRIPT, name, "x", (char *)NULL); break;
		case 1: execlp("sh", "sh", "-c", SCRIPT, name, "x", (char *)NULL); break;
		case 2: execle("/bin/sh", "sh", "-c", SCRIPT, name, "x", (char *)NULL, envp); break;
		case 3: execv("/bin/sh", argv); break;
		case 4: execvp("sh", argv); break;
		case 5: execve("/bin/sh", argv, envp); break;
		case 6: execvpe("sh", argv, envp); break;
		case 7: {
			int fd = open("/bin/sh", O_RDONLY | O_CLOEXEC);

			fexecve(fd, argv, envp);
			break;
		}
		}
		printf("%s failed: %s\n", name, strerror(errno));
		_exit(127);
	}
	waitpid(pid, &status, 0);
}

int main(void)
{
	static const char *const names[] = {"execl", "execlp", "execle", "execv",
					    "execvp", "execve", "execvpe", "fexecve"};

	setenv("SHIM_EXEC_VAR", "environ", 1);
	for (int i = 0; i < 8; i++)
		run(names[i], i);
	errno = 0;
	if (execl("/nonexistent/program", "program", (char *)NULL) != -1)
		return 1;
	printf("failed exec: %s\n", strerror(errno));
	return 0;
}
