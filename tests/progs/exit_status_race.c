/* Two threads end the process with different statuses: a second thread
 * calls exit_group(1) first (a Go server's signal goroutine in os.Exit(1)
 * after its shutdown), and the main thread, us microseconds after that
 * thread said it is about to, exit_group(0) (main returning).  Bare, the
 * first ends the process before the second comes: the status is 1.  n
 * sockets left open make the exit's handling under the supervisor longer
 * (each is looked at as a close).
 *   exit_status_race N US
 * A run where the other thread is not inside its exit_group yet when the
 * main thread calls its own (it was held off the CPU after it said it is
 * about to: a loaded machine) says nothing of which came first: the main
 * thread's status is 5 then, not 0.  So 0 is always an error of whatever
 * let the second exit_group win: the first was already being made. */
#include "progs.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>

static int ready[2];

static void *first_exit(void *arg)
{
	int tid = (int)syscall(SYS_gettid);

	(void)arg;
	if (write(ready[1], &tid, sizeof tid) != (ssize_t)sizeof tid)
		die("write");
	syscall(SYS_exit_group, 1);
	return NULL;
}

/* Whether thread tid of this process is inside exit_group: the number of
 * the system call it is in, first in /proc/self/task/TID/syscall ("-1"
 * outside any, "running" on a CPU). */
static int in_exit_group(int tid)
{
	char path[64], line[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	n = read(fd, line, sizeof line - 1);
	close(fd);
	if (n <= 0)
		return 0;
	line[n] = '\0';
	return line[0] >= '0' && line[0] <= '9' && atol(line) == SYS_exit_group;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0, us = argc > 2 ? atoi(argv[2]) : 50;
	pthread_t t;
	int tid;

	for (int i = 0; i < n; i++)
		if (socket(AF_INET, SOCK_STREAM, 0) < 0)
			die("socket");
	if (pipe(ready))
		die("pipe");
	if (pthread_create(&t, NULL, first_exit, NULL))
		die("pthread_create");
	if (read(ready[0], &tid, sizeof tid) != (ssize_t)sizeof tid)
		die("read");
	usleep((useconds_t)us);
	syscall(SYS_exit_group, in_exit_group(tid) ? 0 : 5);
	return 3;
}
