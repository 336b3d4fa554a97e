/* A server that hands each connection to a worker process over a unix
 * socket (SCM_RIGHTS) and closes its own copy at once; the worker reads
 * the first line of the request, answers with a large body and closes,
 * leaving the rest unread (the seed's bug).  The acceptor's close is not
 * the connection's last: lingering on it would cut the worker's answer.
 *
 *   pass_server PORT ANSWER_BYTES CLIENTS [WORKER_DELAY_MS]
 * WORKER_DELAY_MS: the worker waits that long with each connection before
 * it reads, so that the acceptor's close comes first. */
#include "progs.h"

#include <sys/wait.h>

NOINLINE void worker_answer(int fd, size_t answer_bytes)
{
	read_then_answer(fd, answer_bytes);
	close(fd);
}

int main(int argc, char **argv)
{
	int lfd, sv[2], clients, status;
	size_t answer;
	pid_t worker;

	if (argc != 4 && argc != 5)
		return 2;
	answer = strtoul(argv[2], NULL, 10);
	clients = atoi(argv[3]);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_loopback(atoi(argv[1]), NULL);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		die("socketpair");
	worker = fork();
	if (worker < 0)
		die("fork");
	if (worker == 0) {
		int fd;

		close(sv[0]);
		close(lfd);
		while ((fd = recv_fd(sv[1])) >= 0) {
			if (argc == 5)
				usleep((useconds_t)atoi(argv[4]) * 1000);
			worker_answer(fd, answer);
		}
		_exit(0);
	}
	close(sv[1]);
	for (int i = 0; i < clients; i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			die("accept");
		send_fd(sv[0], fd);
		close(fd); /* the worker has it */
	}
	close(sv[0]);
	close(lfd);
	if (waitpid(worker, &status, 0) != worker || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return 1;
	return 0;
}
