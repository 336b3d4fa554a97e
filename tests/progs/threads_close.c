/* THREADS threads, each making and closing N TCP sockets (and, with a
 * third argument, also dup'ing and shutting them down).
 *
 *   threads_close THREADS N [busy] */
#include "progs.h"

#include <pthread.h>

static long n;
static int busy;

static void *worker(void *arg)
{
	(void)arg;
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			die("socket");
		if (busy) {
			int d = dup(fd);

			shutdown(d, SHUT_RDWR); /* ENOTCONN */
			close(d);
		}
		if (close(fd) != 0)
			die("close");
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 8;
	pthread_t t[64];

	n = argc > 2 ? atol(argv[2]) : 1000;
	busy = argc > 3;
	if (threads < 1 || threads > 64)
		return 2;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	printf("ok\n");
	return 0;
}
