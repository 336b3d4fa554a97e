/* A server that answers without reading the request and closes: the
 * request is left unread, and the close resets the connection, unless the
 * client's own reset came first (the kernel then sends nothing).
 *
 *   answer_unread PORT CLIENTS
 * For each of CLIENTS clients, one after the other: waits until its request
 * is in the receive queue, sends a 1000-byte answer (send(2), not write(2):
 * a test may trace the log's writes alone) and closes at once, from
 * rude_answer().  Exits 0. */
#include "progs.h"

NOINLINE void rude_answer(int fd)
{
	char answer[1000], b;

	memset(answer, 'A', sizeof answer);
	while (recv(fd, &b, 1, MSG_PEEK) != 1)
		;
	if (send(fd, answer, sizeof answer, MSG_NOSIGNAL) < 0)
		die("send");
	close(fd);
}

/* on every address: the clients may be in another network namespace */
static int listen_any(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 128) != 0)
		die("bind/listen");
	return fd;
}

int main(int argc, char **argv)
{
	int port, clients, lfd;

	if (argc != 3)
		die("usage: answer_unread PORT CLIENTS");
	port = atoi(argv[1]);
	clients = atoi(argv[2]);
	lfd = listen_any(port);
	printf("listening\n");
	fflush(stdout);
	for (int i = 0; i < clients; i++) {
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			die("accept");
		rude_answer(c);
	}
	return 0;
}
