/* Two threads end the process with different statuses: a second thread
 * calls exit_group(1) first (a Go server's signal goroutine in os.Exit(1)
 * after its shutdown), and the main thread, us microseconds after that
 * thread said it is about to, exit_group(0) (main returning).  Bare, the
 * first ends the process before the second comes: the status is 1.  n
 * sockets left open make the exit's handling under the supervisor longer
 * (each is looked at as a close).
 *   exit_status_race N US */
#include "progs.h"

#include <pthread.h>
#include <sys/syscall.h>

static int ready[2];

static void *first_exit(void *arg)
{
	(void)arg;
	if (write(ready[1], "x", 1) != 1)
		die("write");
	syscall(SYS_exit_group, 1);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0, us = argc > 2 ? atoi(argv[2]) : 50;
	pthread_t t;
	char c;

	for (int i = 0; i < n; i++)
		if (socket(AF_INET, SOCK_STREAM, 0) < 0)
			die("socket");
	if (pipe(ready))
		die("pipe");
	if (pthread_create(&t, NULL, first_exit, NULL))
		die("pthread_create");
	if (read(ready[0], &c, 1) != 1)
		die("read");
	usleep((useconds_t)us);
	syscall(SYS_exit_group, 0);
	return 3;
}
