/* A thread cancelled at or in its close() of a connection with unread data
 * (one the shim would close gracefully).
 *
 *   cancel_after_handoff pending   the cancellation is pending when the
 *                                  worker calls close(): glibc acts on it
 *                                  before the system call, so the number and
 *                                  the connection are left as they were
 *   cancel_after_handoff during    the worker is cancelled while its close()
 *                                  is under way (under the shim in sync
 *                                  mode: while it lingers), after the peer
 *                                  saw the close begin (EOF or reset)
 *
 * Prints "worker cancelled|returned; fd open|closed; the peer sees
 * nothing|EOF|reset" (in mode "during", what the peer saw is what told main
 * that the close had begun). */
#include "progs.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>

static int conn;
static int go; /* atomic */

static void *worker(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&go, __ATOMIC_SEQ_CST)) /* no cancellation point */
		;
	close(conn);
	for (;;)
		sleep(1); /* a cancellation point, in case close() was none */
	return NULL;
}

static const char *peer_sees(int peer, int flags)
{
	char b;
	ssize_t r = recv(peer, &b, 1, flags);

	return r == 0 ? "EOF" : r > 0 ? "data" : errno == ECONNRESET ? "reset" : "nothing";
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int port, lfd = listen_loopback(0, &port), peer = connect_loopback(port);
	const char *seen;
	pthread_t t;
	void *res;

	conn = accept(lfd, NULL, NULL);
	if (conn < 0)
		die("accept");
	write_all(peer, "unread", 6); /* the close would reset, or linger */
	if (pthread_create(&t, NULL, worker, NULL) != 0)
		die("pthread_create");
	if (strcmp(mode, "pending") == 0) {
		pthread_cancel(t);
		__atomic_store_n(&go, 1, __ATOMIC_SEQ_CST);
		pthread_join(t, &res);
		usleep(100 * 1000); /* time for a FIN or a reset to arrive */
		seen = peer_sees(peer, MSG_DONTWAIT);
	} else if (strcmp(mode, "during") == 0) {
		struct pollfd p = {.fd = peer, .events = POLLIN};

		__atomic_store_n(&go, 1, __ATOMIC_SEQ_CST);
		/* The worker's close has begun once the peer sees its end. */
		if (poll(&p, 1, 10000) != 1)
			die("poll: the worker's close never began");
		seen = peer_sees(peer, MSG_DONTWAIT);
		pthread_cancel(t);
		pthread_join(t, &res);
	} else {
		fprintf(stderr, "usage: cancel_after_handoff pending|during\n");
		return 2;
	}
	printf("worker %s; fd %s; the peer sees %s\n",
	       res == PTHREAD_CANCELED ? "cancelled" : "returned",
	       fcntl(conn, F_GETFD) >= 0 ? "open" : "closed", seen);
	return 0;
}
