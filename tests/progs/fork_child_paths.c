/* A forking server whose children take a forked child's common paths
 * through the shim: fcntl on the connection, its request read and
 * answered, shutdown(SHUT_WR), close, and the end of the process with
 * the listener still open (as many forking servers leave it), by exit()
 * in the even children and _exit() in the odd ones.  The parent prints
 * "child PID" for each child, in the order it forked them, and closes
 * its copy of the connection.
 *
 *   fork_child_paths PORT CLIENTS
 * Serves CLIENTS clients, waits for its children, exits 0. */
#include "progs.h"

#include <fcntl.h>
#include <sys/wait.h>

NOINLINE static void child(int fd, int i)
{
	char line[128];

	if (fcntl(fd, F_GETFL) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
		die("fcntl");
	if (read(fd, line, sizeof line) <= 0)
		die("read");
	write_all(fd, "answer\n", 7);
	if (shutdown(fd, SHUT_WR) != 0)
		die("shutdown");
	close(fd);
	if (i % 2)
		_exit(0);
	exit(0);
}

int main(int argc, char **argv)
{
	int lfd, clients, status, bad = 0;

	if (argc != 3)
		return 2;
	clients = atoi(argv[2]);
	lfd = listen_loopback(atoi(argv[1]), NULL);
	for (int i = 0; i < clients; i++) {
		int fd = accept(lfd, NULL, NULL);
		pid_t pid;

		if (fd < 0)
			die("accept");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			child(fd, i);
		printf("child %d\n", (int)pid);
		fflush(stdout);
		close(fd);
	}
	close(lfd);
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad++;
	return bad ? 1 : 0;
}
