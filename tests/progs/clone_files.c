/* A child made by clone(CLONE_FILES) shares its parent's descriptor table:
 * whatever the shim does in the child must leave the parent's descriptors
 * (its own log's among them) as they are, and its end, which closes none
 * of them, is not the end of the parent's sockets.  The parent holds a
 * connection to itself with bytes unread; the child ends at once (by
 * exit() through libc's clone(), or through syscall(SYS_clone) when MODE
 * is "sys"); then the parent closes a number never open (a close_error
 * record), says "parent PID" and exits, the connection still open (a
 * close_rst of its own, at its exit).
 *
 *   clone_files lib|sys */
#include "progs.h"

#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int child(void *arg)
{
	(void)arg;
	exit(0);
}

NOINLINE void bad_close(void)
{
	close(-1);
}

int main(int argc, char **argv)
{
	static char stack[256 * 1024];
	int port, lfd = listen_loopback(0, &port), c, s;
	long pid;

	if (argc != 2)
		return 2;
	c = connect_loopback(port);
	s = accept(lfd, NULL, NULL);
	if (s < 0)
		die("accept");
	write_all(c, "unread", 6);
	if (await_queued(s, 6) != 0)
		die("the request never came");
	if (strcmp(argv[1], "sys") == 0) {
		pid = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
		if (pid == 0)
			exit(0);
	} else {
		pid = clone(child, stack + sizeof stack, CLONE_FILES | SIGCHLD, NULL);
	}
	if (pid < 0)
		die("clone");
	if (waitpid((pid_t)pid, NULL, 0) != pid)
		die("waitpid");
	bad_close();
	printf("parent %d\n", (int)getpid());
	return 0; /* s and c still open: s's end is a reset */
}
