/* The seed's bug in a forking server: for each client the parent forks a
 * child that reads the first line of the request, answers with a large
 * body and closes, leaving the rest unread (the kernel resets the
 * connection); the parent closes its copy right after the fork.
 *
 *   fork_server PORT ANSWER_BYTES CLIENTS
 * Serves CLIENTS clients, waits for its children, exits 0. */
#include "progs.h"

#include <sys/wait.h>

NOINLINE void child_answer(int fd, size_t answer_bytes)
{
	read_then_answer(fd, answer_bytes);
	close(fd);
}

int main(int argc, char **argv)
{
	int lfd, clients, status, bad = 0;
	size_t answer;

	if (argc != 4)
		return 2;
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
			close(lfd);
			child_answer(fd, answer);
			_exit(0);
		}
		close(fd);
	}
	close(lfd);
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			bad++;
	return bad ? 1 : 0;
}
