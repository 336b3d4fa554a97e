/* fork_double_close: double closes in a fork tree, whose processes share
 * one close history (close_history.c).
 *
 * The parent forks; then the parent closes its pipe's read end in
 * close_in_parent(), the child, after it, closes the same number (its own
 * copy) in close_in_child(), and exits; each then closes that number once
 * more: the parent in parent_again(), the child, before it exits, in
 * child_again().  Each double_close's first_backtrace must be that
 * process's own first close: ids from one counter for the whole tree,
 * never the same for two closes (with a counter in each process, the
 * child's close took the id of the parent's, and overwrote its slot).
 * Exits 0. */
#include "progs.h"

#include <sys/wait.h>

NOINLINE void close_in_parent(int fd)
{
	close(fd);
	__asm__ volatile("" ::: "memory");
}

NOINLINE void close_in_child(int fd)
{
	close(fd);
	__asm__ volatile("" ::: "memory");
}

NOINLINE void parent_again(int fd)
{
	close(fd);
	__asm__ volatile("" ::: "memory");
}

NOINLINE void child_again(int fd)
{
	close(fd);
	__asm__ volatile("" ::: "memory");
}

int main(void)
{
	int p[2], go[2], status;
	char c;
	pid_t child;

	if (pipe(p) != 0 || pipe(go) != 0)
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		if (read(go[0], &c, 1) != 1) /* after the parent's first close */
			_exit(3);
		close_in_child(p[0]);
		child_again(p[0]);
		_exit(0);
	}
	close_in_parent(p[0]);
	if (write(go[1], "g", 1) != 1)
		die("write");
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		die("child");
	parent_again(p[0]);
	return 0;
}
