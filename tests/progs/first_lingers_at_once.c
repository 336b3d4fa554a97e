/* A threaded server's first lingering closes, all at once (under
 * SOCKSHIM_GRACEFUL=1, async): 4 connections to itself, each with bytes
 * unread on the server's side, closed by 4 threads at the same moment
 * (a barrier); then each client goes on sending for 40 ms.  Prints how
 * many of the 4 clients' sends failed (a reset).
 *
 *   first_lingers_at_once */
#include "progs.h"

#include <pthread.h>

#define NT 4

static int srv[NT];
static pthread_barrier_t barrier;

static void *closer(void *p)
{
	pthread_barrier_wait(&barrier);
	close(srv[(long)p]);
	return NULL;
}

int main(void)
{
	static char junk[32768];
	int port, lfd = listen_loopback(0, &port), cli[NT], resets = 0;
	pthread_t t[NT];

	for (int i = 0; i < NT; i++) {
		cli[i] = connect_loopback(port);
		srv[i] = accept(lfd, NULL, NULL);
		if (srv[i] < 0)
			die("accept");
		write_all(cli[i], "unread", 6);
	}
	usleep(20 * 1000);
	pthread_barrier_init(&barrier, NULL, NT);
	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, closer, (void *)i);
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < NT; i++)
		for (int k = 0; k < 8; k++) {
			if (send(cli[i], junk, sizeof junk, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
			    errno != EAGAIN) {
				resets++;
				break;
			}
			usleep(5 * 1000);
		}
	printf("resets %d\n", resets);
	return 0;
}
