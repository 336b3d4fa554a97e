/* Records made in a forked child (by fork(), and by syscall(SYS_fork) and
 * glibc's clone() without CLONE_VM, which run no atfork handler) and in a second thread: each must carry
 * its own process's pid and its own thread's id, which the shim keeps
 * rather than asks of the kernel at every record.  Each close(-1) below is
 * a close_error; the ids of the one that made it are printed first:
 *   ids <label> <pid> <tid> */
#include "progs.h"

#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void record(const char *label)
{
	printf("ids %s %d %d\n", label, (int)getpid(), (int)gettid());
	fflush(stdout);
	close(-1);
}

static void *thread_main(void *arg)
{
	record(arg);
	return NULL;
}

static int clone_main(void *arg)
{
	record(arg);
	return 0;
}

static void in_child(const char *label)
{
	pthread_t t;

	record(label);
	pthread_create(&t, NULL, thread_main, "child-thread");
	pthread_join(t, NULL);
}

int main(void)
{
	pid_t pid;
	int status;

	record("parent"); /* the ids kept from here on */
	pid = fork();
	if (pid == 0) {
		in_child("fork");
		exit(0);
	}
	waitpid(pid, &status, 0);
	pid = (pid_t)syscall(SYS_fork);
	if (pid == 0) {
		record("raw-fork");
		exit(0);
	}
	waitpid(pid, &status, 0);
	{
		static char stack[256 * 1024] __attribute__((aligned(16)));

		pid = clone(clone_main, stack + sizeof stack, SIGCHLD, "clone");
		if (pid < 0)
			die("clone");
		waitpid(pid, &status, 0);
	}
	record("parent-again");
	return 0;
}
