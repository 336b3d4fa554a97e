/* A program whose thread makes trapped calls (a close of a dup'ed pipe
 * end) and ends, after which the program execs itself single-threaded and
 * makes them again from its only thread: under the supervisor, the
 * listener's wake-ups on the waker's CPU go off with the thread and come
 * back with the new image (supervisor/main.c).
 *
 *   threads_then_exec         (the first image)
 *   threads_then_exec single  (the exec'd one) */
#include "progs.h"

#include <pthread.h>

static void closes(int n)
{
	int p[2];

	if (pipe(p) != 0)
		die("pipe");
	for (int i = 0; i < n; i++)
		close(dup(p[0]));
	close(p[0]);
	close(p[1]);
}

static void *thread_closes(void *arg)
{
	(void)arg;
	closes(5);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc > 1 && !strcmp(argv[1], "single")) {
		closes(50);
		return 0;
	}
	if (pthread_create(&t, NULL, thread_closes, NULL) != 0 || pthread_join(t, NULL) != 0)
		die("pthread");
	execl(argv[0], argv[0], "single", (char *)0);
	die("exec");
}
