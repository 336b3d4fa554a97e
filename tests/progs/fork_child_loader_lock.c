/* fork_child_loader_lock PLUGIN N: a thread makes records (close(-1):
 * close_error) after reloading PLUGIN, again and again, while the main
 * thread forks N children; each child makes one record and exits.  A child
 * still there after 3 s is counted as hung.  Prints "N children, H hung".
 * (glibc does not reset dl_iterate_phdr's lock in a forked child.) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static const char *lib;
__attribute__((noinline)) static void thread_closer(void) { close(-1); __asm__ volatile("":::"memory"); }
static void *t(void *a)
{
	(void)a;
	for (;;) {
		void *h = dlopen(lib, RTLD_NOW); /* a plugin reload: the shim forgets its caches */
		if (h) dlclose(h);
		thread_closer();
	}
	return NULL;
}
__attribute__((noinline)) static void child_closer(void) { close(-1); __asm__ volatile("":::"memory"); }
int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 300, hung = 0;
	pthread_t th;
	lib = argv[1];
	pthread_create(&th, NULL, t, NULL);
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			alarm(3);
			child_closer();
			_exit(0);
		}
		int st;
		waitpid(p, &st, 0);
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
			hung++;
	}
	printf("%d children, %d hung\n", n, hung);
	return 0;
}
