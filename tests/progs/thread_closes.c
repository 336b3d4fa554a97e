/* Many short threads, each with a trapped call of its own, then resets
 * (the supervisor's tests: regress_supervise_threads_keep_descriptors).
 *
 *   thread_closes THREADS CONNS
 *                     THREADS threads, one after another, each makes a
 *                     socket and closes it; then CONNS loopback
 *                     connections, each closed by reset_closer() with
 *                     1000 bytes of the client's unread (a reset) */
#include "progs.h"

#include <poll.h>
#include <pthread.h>

static void *socket_and_close(void *arg)
{
	(void)arg;
	close(socket(AF_INET, SOCK_STREAM, 0));
	return NULL;
}

NOINLINE void reset_closer(int fd)
{
	close(fd);
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 0, conns = argc > 2 ? atoi(argv[2]) : 0;
	int port, lfd = listen_loopback(0, &port);
	static char unread[1000];

	for (int i = 0; i < threads; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, socket_and_close, NULL) != 0)
			die("pthread_create");
		pthread_join(t, NULL);
	}
	for (int i = 0; i < conns; i++) {
		int c = connect_loopback(port), s = accept(lfd, NULL, NULL);
		struct pollfd p = {.fd = s, .events = POLLIN};

		if (s < 0)
			die("accept");
		write_all(c, unread, sizeof unread);
		poll(&p, 1, 5000);
		reset_closer(s);
		close(c);
	}
	close(lfd);
	printf("threads %d conns %d\n", threads, conns);
	return 0;
}
