/* The seed's bug in a forking server: for each client the parent forks a
 * child that reads the first line of the request, answers with a large
 * body and closes, leaving the rest unread (the kernel resets the
 * connection); the parent closes its copy right after the fork.
 *
 *   fork_server PORT ANSWER_BYTES CLIENTS [paths]
 * Serves CLIENTS clients, waits for its children, exits 0.  With "paths",
 * each child takes more of a forked child's common ways through the shim
 * (tests/integration/fork_child_code_together.sh): fcntl on the
 * connection first, shutdown(SHUT_WR) before its close, and the end of
 * the process with the listener still open (as many forking servers leave
 * it), by exit() in the even children and _exit() in the odd ones; and the
 * parent prints "child PID" for each, in the order it forked them. */
#include "progs.h"

#include <fcntl.h>
#include <stdbool.h>
#include <sys/wait.h>

NOINLINE void child_answer(int fd, size_t answer_bytes)
{
	read_then_answer(fd, answer_bytes);
	close(fd);
}

NOINLINE static void child_paths(int fd, size_t answer_bytes, int i)
{
	if (fcntl(fd, F_GETFL) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
		die("fcntl");
	read_then_answer(fd, answer_bytes);
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
	size_t answer;
	bool paths;

	if (argc != 4 && !(argc == 5 && strcmp(argv[4], "paths") == 0))
		return 2;
	paths = argc == 5;
	answer = strtoul(argv[2], NULL, 10);
	clients = atoi(argv[3]);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_loopback(atoi(argv[1]), NULL);
	for (int i = 0; i < clients; i++) {
		int fd = accept(lfd, NULL, NULL);
		pid_t pid;

		if (fd < 0)
			die("accept");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			if (paths)
				child_paths(fd, answer, i);
			close(lfd);
			child_answer(fd, answer);
			_exit(0);
		}
		if (paths) {
			printf("child %d\n", (int)pid);
			fflush(stdout);
		}
		close(fd);
	}
	close(lfd);
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad++;
	return bad ? 1 : 0;
}
