/* fork_double_close: double closes in a fork tree, whose first process's
 * close history lies in memory the tree shares (close_history.c).
 *
 * The parent closes a pipe's read end q in close_before_fork() and forks.
 * Then the parent closes its pipe's read end p in close_in_parent(); the
 * child, after it, closes its own copy of p in close_in_child() and again
 * in child_again(), closes q again in q_again_in_child(), then closes 4200
 * more descriptors (2100 pipes made and closed, as a helper that closes
 * everything before exec closes thousands) and exits; the parent then
 * closes p again in parent_again().  Each double_close's first_backtrace
 * must be that process's first close of the number: the child's from
 * before the fork too, and the parent's after the child's 4200 closes
 * (which, in a ring the child wrote too, left the parent's record none).
 * With "raw", the fork is syscall(SYS_fork), which runs no fork handler,
 * made after a fork() of a child that exits at once (the parent's ring is
 * then the shared one).  Exits 0. */
#include "progs.h"

#include <stdbool.h>

#include <sys/syscall.h>
#include <sys/wait.h>

#define CLOSER(name)                                                                               \
	NOINLINE void name(int fd)                                                                 \
	{                                                                                          \
		close(fd);                                                                         \
		__asm__ volatile("" ::: "memory");                                                 \
	}

CLOSER(close_before_fork)
CLOSER(close_in_parent)
CLOSER(close_in_child)
CLOSER(parent_again)
CLOSER(child_again)
CLOSER(q_again_in_child)

int main(int argc, char **argv)
{
	int p[2], q[2], go[2], status;
	char c;
	pid_t child;
	bool raw = argc > 1 && !strcmp(argv[1], "raw");

	if (pipe(p) != 0 || pipe(q) != 0 || pipe(go) != 0)
		die("pipe");
	close_before_fork(q[0]);
	if (raw) {
		child = fork();
		if (child == 0)
			_exit(0);
		if (child < 0 || waitpid(child, &status, 0) != child)
			die("fork");
	}
	child = raw ? (pid_t)syscall(SYS_fork) : fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		if (read(go[0], &c, 1) != 1) /* after the parent's first close */
			_exit(3);
		close_in_child(p[0]);
		child_again(p[0]);
		q_again_in_child(q[0]);
		for (int i = 0; i < 2100; i++) {
			int t[2];

			if (pipe(t) != 0)
				_exit(4);
			close(t[0]);
			close(t[1]);
		}
		_exit(0);
	}
	close(go[0]);
	close_in_parent(p[0]);
	if (write(go[1], "g", 1) != 1)
		die("write");
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		die("child");
	parent_again(p[0]);
	return 0;
}
