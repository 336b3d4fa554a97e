/* fork_child_list_lock: a thread sits inside dl_iterate_phdr (its callback
 * waits on a pipe, the loader's list lock held) while the main thread
 * forks; in the child that lock is held for ever.  The child makes a record
 * (close(-1): close_error) 1.1 s after the parent's first one, past the
 * shim's once-a-second look-up of language runtimes loaded later, which
 * walks that list.  The parent waits 3 s for the child, then kills it (a
 * child waiting with every signal blocked cannot even be stopped by an
 * alarm).  Prints "child done" or "child hung"; exits 0. */
#define _GNU_SOURCE
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int inside[2], leave[2];

__attribute__((noinline)) void list_lock_closer(void)
{
	close(-1);
	__asm__ volatile("" ::: "memory");
}

static int hold(struct dl_phdr_info *info, size_t size, void *data)
{
	char c = 'i';

	(void)info;
	(void)size;
	(void)data;
	if (write(inside[1], &c, 1) != 1)
		return 1;
	while (read(leave[0], &c, 1) < 0)
		;
	return 1; /* the first object is enough */
}

static void *holder(void *arg)
{
	(void)arg;
	dl_iterate_phdr(hold, NULL);
	return NULL;
}

int main(void)
{
	pthread_t t;
	pid_t child;
	int status, waited = 0;
	char c;

	if (pipe(inside) != 0 || pipe(leave) != 0)
		return 2;
	list_lock_closer(); /* the shim's first look-ups, outside any lock */
	usleep(1100000);
	if (pthread_create(&t, NULL, holder, NULL) != 0 || read(inside[0], &c, 1) != 1)
		return 2;
	child = fork();
	if (child < 0)
		return 2;
	if (child == 0) {
		list_lock_closer();
		_exit(0);
	}
	while (waitpid(child, &status, WNOHANG) == 0 && waited < 300) {
		usleep(10000);
		waited++;
	}
	if (waited >= 300) {
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
	c = 'l';
	if (write(leave[1], &c, 1) != 1)
		return 2;
	pthread_join(t, NULL);
	puts(waited >= 300 ? "child hung" : "child done");
	return 0;
}
