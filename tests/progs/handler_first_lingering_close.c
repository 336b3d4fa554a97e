/* A signal handler's close() of a socket that lingers, while the code it
 * interrupted is inside malloc or free, in a multi-threaded program.
 *
 *   handler_first_lingering_close
 *
 * Two threads (main and one more) allocate and free in a loop.  A
 * connection is made with one byte of the request left unread, so that a
 * graceful close lingers on it.  A one-shot SIGALRM, 3..9 ms later
 * (depending on the pid, so that repeated runs hit different places), runs
 * a handler that closes the connection: close() is async-signal-safe, and
 * this is the process's first lingering close.  Then both threads stop,
 * and the peer's end says what the close did ("EOF": graceful, "reset":
 * abortive).  Prints "done, the peer sees EOF|reset|...". */
#include "progs.h"

#include <pthread.h>
#include <sys/time.h>

static int conn; /* atomic, as closed: the handler may run in either thread */
static int closed; /* atomic: read by both threads */

static void on_alarm(int sig)
{
	int e = errno;

	(void)sig;
	if (!__atomic_load_n(&closed, __ATOMIC_SEQ_CST)) {
		close(__atomic_load_n(&conn, __ATOMIC_SEQ_CST));
		__atomic_store_n(&closed, 1, __ATOMIC_SEQ_CST);
	}
	errno = e;
}

/* Busy in malloc/free until the handler has closed the connection. */
static void *churn(void *arg)
{
	void *p[64] = {0};

	(void)arg;
	for (long i = 0; !__atomic_load_n(&closed, __ATOMIC_RELAXED) || i % 100000; i++) {
		int k = i & 63;

		free(p[k]);
		p[k] = malloc(16 + (size_t)(i * 7919) % 3000);
	}
	for (int k = 0; k < 64; k++)
		free(p[k]);
	return NULL;
}

int main(void)
{
	struct itimerval it = {{0, 0}, {0, 3000 + (getpid() % 7) * 1000}};
	pthread_t t;
	int port, lfd, peer, fd;
	char buf[64];
	ssize_t r;

	/* Multi-threaded before any socket is made. */
	if (pthread_create(&t, NULL, churn, NULL) != 0)
		die("pthread_create");
	lfd = listen_loopback(0, &port);
	peer = connect_loopback(port);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	__atomic_store_n(&conn, fd, __ATOMIC_SEQ_CST);
	write_all(peer, "unread request", 14); /* never read: the close lingers */
	signal(SIGALRM, on_alarm);
	setitimer(ITIMER_REAL, &it, NULL);
	churn(NULL);
	pthread_join(t, NULL);

	/* The close is done: a graceful one sent FIN (EOF here), a bare one
	 * with unread data a reset. */
	r = recv(peer, buf, sizeof buf, 0);
	printf("done, the peer sees %s\n",
	       r == 0 ? "EOF" : r < 0 && errno == ECONNRESET ? "reset" : "data");
	close(peer); /* the lingering ends at our end of stream */
	close(lfd);
	return 0;
}
