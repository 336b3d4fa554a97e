/* Thread cancellation around calls that are not cancellation points
 * (issue 10, defect 2): whatever the shim does inside them on its own
 * account must not become one.
 *
 *   cancel_in_shim shutdown   a worker holds a mutex (no cleanup handler:
 *                             it relies on shutdown() not being a
 *                             cancellation point), shuts down a connected
 *                             socket, unlocks and only then reaches
 *                             pthread_testcancel().  main joins it, takes
 *                             the mutex (or says that it is left locked,
 *                             exit 1) and prints "ok".
 *   cancel_in_shim log_open   the same, with shutdown(-1): at the default
 *                             level the first record (shutdown_error),
 *                             whose writing opens the log file.  Then main
 *                             calls shutdown(-1) three times (three more
 *                             records) and prints "ok".
 *
 * The worker cancels itself before the call, so the request is pending at
 * exactly that moment, every run. */
#include "progs.h"

#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int conn = -1;

NOINLINE void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	pthread_cancel(pthread_self());
	shutdown(conn, SHUT_RDWR); /* bare: not a cancellation point */
	pthread_mutex_unlock(&lock);
	pthread_testcancel(); /* the thread ends here */
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	pthread_t t;
	void *res;
	int port, lfd = -1, client = -1, rc = 0;

	if (strcmp(mode, "shutdown") == 0) {
		lfd = listen_loopback(0, &port);
		client = connect_loopback(port);
		conn = accept(lfd, NULL, NULL);
		if (conn < 0)
			die("accept");
	} else if (strcmp(mode, "log_open") != 0) {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	if (pthread_create(&t, NULL, worker, NULL) != 0)
		die("pthread_create");
	pthread_join(t, &res);
	if (res != PTHREAD_CANCELED) {
		fprintf(stderr, "the worker was not cancelled\n");
		return 1;
	}
	/* The worker is gone: a mutex it left locked stays locked for good,
	 * where a plain lock would hang.  Said, and the run goes on. */
	if (pthread_mutex_trylock(&lock) != 0) {
		fprintf(stderr, "the cancelled worker left the mutex locked\n");
		rc = 1;
	} else {
		pthread_mutex_unlock(&lock);
	}
	if (conn < 0) {
		/* Records after a cancelled first one: they must get out. */
		for (int i = 0; i < 3; i++)
			shutdown(-1, SHUT_RDWR);
	} else {
		close(conn);
		close(client);
		close(lfd);
	}
	if (rc == 0)
		printf("ok\n");
	return rc;
}
