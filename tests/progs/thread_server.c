/* The seed's bug in a threaded server: a thread per client reads the first
 * line of the request, answers with a large body and closes, leaving the
 * rest unread (the kernel resets the connection).
 *
 *   thread_server PORT ANSWER_BYTES CLIENTS
 * Serves CLIENTS clients, joins its threads, exits 0. */
#include "progs.h"

#include <pthread.h>

static size_t answer_bytes;

NOINLINE void thread_answer(int fd)
{
	static __thread char chunk[65536];
	char line[128];
	size_t left = answer_bytes;

	if (read(fd, line, sizeof line) <= 0)
		die("read");
	memset(chunk, 'a', sizeof chunk);
	while (left > 0) {
		size_t len = left < sizeof chunk ? left : sizeof chunk;

		write_all(fd, chunk, len);
		left -= len;
	}
	close(fd);
}

static void *serve(void *arg)
{
	thread_answer((int)(intptr_t)arg);
	return NULL;
}

int main(int argc, char **argv)
{
	int lfd, clients;
	pthread_t *t;

	if (argc != 4)
		return 2;
	answer_bytes = strtoul(argv[2], NULL, 10);
	clients = atoi(argv[3]);
	t = calloc((size_t)clients, sizeof *t);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_loopback(atoi(argv[1]), NULL);
	for (int i = 0; i < clients; i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			die("accept");
		if (pthread_create(&t[i], NULL, serve, (void *)(intptr_t)fd) != 0)
			die("pthread_create");
	}
	for (int i = 0; i < clients; i++)
		pthread_join(t[i], NULL);
	close(lfd);
	return 0;
}
