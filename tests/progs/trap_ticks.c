/* Trapped calls while a timer's signal keeps arriving (the supervisor's
 * tests: regress_supervise_signal_in_trap).
 *
 *   trap_ticks restart N US   N connections made and accepted, both ends
 *                             closed, while SIGALRM (SA_RESTART) arrives
 *                             every US µs, then the listener closed;
 *                             prints how many of the 2N + 1 closes failed
 *   trap_ticks exit US SOCKETS AT
 *                             a second thread that waits, SOCKETS TCP
 *                             sockets left open, SIGALRM without
 *                             SA_RESTART every US µs, and exit(3) after AT
 *                             µs of busy waiting
 *   trap_ticks later MS       sleeps MS ms (no trapped call), then closes a
 *                             number never opened (a close_error record)
 *   trap_ticks fork N US      holds a connection with 10 bytes of its
 *                             client's unread, forks N children that exit
 *                             at once while SIGALRM (SA_RESTART) arrives
 *                             every US µs (a fork it interrupts is made
 *                             again), then answers and closes it (a reset,
 *                             bare); prints what the client got */
#include "progs.h"

#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static void tick(int sig)
{
	(void)sig;
}

static void ticking(long us, int flags)
{
	struct sigaction sa = {.sa_handler = tick, .sa_flags = flags};
	struct itimerval it = {{0, us}, {0, us}};

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void *waiter(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "restart")) {
		int rounds = atoi(argv[2]), failed = 0, port, l = listen_loopback(0, &port);

		ticking(atol(argv[3]), SA_RESTART);
		for (int i = 0; i < rounds; i++) {
			int c = connect_loopback(port), s = accept(l, NULL, NULL);

			if (s < 0)
				die("accept");
			failed += (close(s) != 0) + (close(c) != 0);
		}
		failed += close(l) != 0;
		printf("closes %d failed %d\n", 2 * rounds + 1, failed);
		return 0;
	}
	if (argc == 5 && !strcmp(argv[1], "exit")) {
		long at = atol(argv[4]);
		struct timeval t0, t;
		sigset_t all, old;
		pthread_t th;

		for (int i = 0; i < atoi(argv[3]); i++)
			socket(AF_INET, SOCK_STREAM, 0);
		/* (the signals go to the main thread, which exits) */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		if (pthread_create(&th, NULL, waiter, NULL) != 0)
			die("pthread_create");
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		ticking(atol(argv[2]), 0);
		gettimeofday(&t0, NULL);
		do /* busy, so that no sleep is cut short */
			gettimeofday(&t, NULL);
		while ((t.tv_sec - t0.tv_sec) * 1000000L + t.tv_usec - t0.tv_usec < at);
		exit(3);
	}
	if (argc == 3 && !strcmp(argv[1], "later")) {
		struct timespec ts = {atoi(argv[2]) / 1000, atoi(argv[2]) % 1000 * 1000000L};

		nanosleep(&ts, NULL);
		return close(999) == -1 && errno == EBADF ? 0 : 1;
	}
	if (argc == 4 && !strcmp(argv[1], "fork")) {
		int port, l = listen_loopback(0, &port), c = connect_loopback(port), s, n, got = 0;
		struct itimerval off = {{0, 0}, {0, 0}};
		char buf[64];

		write_all(c, "0123456789", 10);
		if ((s = accept(l, NULL, NULL)) < 0)
			die("accept");
		close(l);
		ticking(atol(argv[3]), SA_RESTART);
		for (int i = atoi(argv[2]); i > 0; i--) {
			pid_t kid = fork();

			if (kid == 0)
				_exit(0);
			if (kid < 0)
				die("fork");
			while (waitpid(kid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		setitimer(ITIMER_REAL, &off, NULL);
		write_all(s, "answer\n", 7);
		close(s);
		while ((n = (int)read(c, buf, sizeof buf)) > 0)
			got += n;
		printf("client: %d bytes, then %s\n", got, n == 0 ? "EOF" : strerror(errno));
		return 0;
	}
	fprintf(stderr, "usage: trap_ticks restart N US | exit US SOCKETS AT | later MS | fork N US\n");
	return 2;
}
