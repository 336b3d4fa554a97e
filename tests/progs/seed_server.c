/* A legacy-style server, the seed of the project: for each client it reads
 * the first line of the request, answers with a large body and closes,
 * leaving the rest of the request unread.  The kernel then resets the
 * connection, and the client loses the tail of the answer.
 *
 *   seed_server PORT ANSWER_BYTES CLIENTS
 * Serves CLIENTS clients one after the other, then exits 0. */
#include "progs.h"

NOINLINE void answer_and_close(int fd, size_t answer_bytes)
{
	read_then_answer(fd, answer_bytes);
	close(fd);
}

int main(int argc, char **argv)
{
	int lfd, clients;
	size_t answer;

	if (argc != 4)
		return 2;
	answer = strtoul(argv[2], NULL, 10);
	clients = atoi(argv[3]);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_loopback(atoi(argv[1]), NULL);
	for (int i = 0; i < clients; i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			die("accept");
		answer_and_close(fd, answer);
	}
	close(lfd);
	return 0;
}
