/* A threaded program that forks, vforks, posix_spawns, calls system() and
 * execs while its threads make, dup, shut down and close sockets, and while
 * a graceful close lingers in the background.
 *
 *   spawn_all FDLIST
 *
 * FDLIST (tests/progs/fdlist) is exec'd without LD_PRELOAD by vfork+exec,
 * posix_spawn and fork+exec: each prints the descriptors it inherited,
 * which must be 0 1 2 only.  Prints "ok" at the end; exit status 0 when
 * every child did what it should. */
#include "progs.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;
static int stop; /* atomic */
static char *clean_env[] = {"PATH=/usr/bin:/bin", NULL};

static void *churn(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);

		shutdown(d, SHUT_RDWR);
		close(d);
		close(fd);
	}
	return NULL;
}

static int status_of(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

NOINLINE void child_double_closer(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	close(fd);
	close(fd);
}

/* A loopback pair (client, server), close-on-exec. */
static void pair(int *c, int *s)
{
	int port, l = listen_loopback(0, &port);

	*c = connect_loopback(port);
	*s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	fcntl(*c, F_SETFD, FD_CLOEXEC);
	close(l);
}

int main(int argc, char **argv)
{
	pthread_t t[4];
	char *fdlist_argv[] = {argv[1], NULL};
	int c, s, rc = 0;
	pid_t pid;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, churn, NULL);

	/* a graceful close lingering in the background across the forks */
	pair(&c, &s);
	write_all(c, "unread", 6);
	usleep(20000);
	close(s);

	/* fork: the child uses the shim (its own log with %p) and exits */
	pid = fork();
	if (pid == 0) {
		int c2, s2;

		child_double_closer();
		pair(&c2, &s2);
		close(s2); /* a graceful close in the child: its own thread */
		close(c2);
		_exit(7);
	}
	rc |= status_of(pid) != 7;
	printf("fork: child exit %s\n", rc ? "wrong" : "7");

	/* vfork + exec without the shim */
	pid = vfork();
	if (pid == 0) {
		execve(argv[1], fdlist_argv, clean_env);
		_exit(127);
	}
	rc |= status_of(pid) != 0;

	/* posix_spawn without the shim */
	if (posix_spawn(&pid, argv[1], NULL, NULL, fdlist_argv, clean_env) != 0)
		die("posix_spawn");
	rc |= status_of(pid) != 0;

	/* fork + exec without the shim */
	pid = fork();
	if (pid == 0) {
		execve(argv[1], fdlist_argv, clean_env);
		_exit(127);
	}
	rc |= status_of(pid) != 0;

	/* system(): /bin/sh and what it runs are under the shim too */
	rc |= system("exit 3") != 3 << 8;
	printf("system: %s\n", rc ? "failed" : "ok");

	/* the lingering close still finishes: the peer sends its EOF now */
	close(c);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	/* and the background thread still serves new closes after all that */
	pair(&c, &s);
	write_all(c, "x", 1);
	usleep(20000);
	close(s);
	close(c);
	printf(rc ? "failed\n" : "ok\n");
	return rc;
}
