/* Micro-benchmarks of the interposed calls, run bare and under the shim by
 * tools/bench, which compares the two.  Each mode prints one number: the
 * nanoseconds per operation of this run.
 *
 *   bench pipe-close N     close() of a pipe's descriptors
 *   bench socket-close N   socket() + close() of a TCP socket
 *   bench churn N          loopback connections: connect, accept, a request
 *                          and an answer of 64 bytes, both sides close
 *                          (server first)
 *   bench churn-cpu N      the same, but the CPU time (user + system) the
 *                          process spent per connection: the work the shim
 *                          adds, less disturbed by what else the machine
 *                          runs than the wall clock
 *   bench bad-close N      close(-1) from 16 calls deep: under the shim,
 *                          each is a close_error event with a 16-frame
 *                          backtrace
 *   bench slow-peer N      connections whose server closes with a byte of
 *                          the request unread while the peer sends its EOF
 *                          2 ms later; prints the time spent inside the
 *                          server's close()
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

static double pipe_close(long n)
{
	int fds[2 * BATCH];
	double spent = 0;
	long done = 0;

	while (done < n) {
		double t0;

		for (int i = 0; i < BATCH; i++)
			if (pipe(fds + 2 * i) != 0)
				die("pipe");
		t0 = now_ns();
		for (int i = 0; i < 2 * BATCH; i++)
			close(fds[i]);
		spent += now_ns() - t0;
		done += 2 * BATCH;
	}
	return spent / (double)done;
}

static double socket_close(long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			die("socket");
		close(fd);
	}
	return (now_ns() - t0) / (double)n;
}

struct server {
	int lfd;
	long n;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	char buf[64];

	memset(buf, 'a', sizeof buf);
	for (long i = 0; i < s->n; i++) {
		int fd = accept(s->lfd, NULL, NULL);
		ssize_t got = 0, r;

		if (fd < 0)
			die("accept");
		while (got < (ssize_t)sizeof buf && (r = read(fd, buf, sizeof buf)) > 0)
			got += r;
		if (write(fd, buf, sizeof buf) != sizeof buf)
			die("write");
		close(fd);
	}
	return NULL;
}

static double churn(long n)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof a;
	struct server s = {.n = n};
	pthread_t t;
	char buf[64];
	double t0;
	int one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s.lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s.lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s.lfd, 1024) != 0)
		die("listen");
	getsockname(s.lfd, (struct sockaddr *)&a, &len);
	memset(buf, 'q', sizeof buf);
	t0 = now_ns();
	pthread_create(&t, NULL, serve, &s);
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		ssize_t got = 0, r;

		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
			die("connect");
		if (write(fd, buf, sizeof buf) != sizeof buf)
			die("write");
		while ((r = read(fd, buf, sizeof buf)) > 0)
			got += r;
		if (got != sizeof buf)
			die("short answer");
		close(fd);
	}
	pthread_join(t, NULL);
	close(s.lfd);
	return (now_ns() - t0) / (double)n;
}

struct slow_peer {
	struct sockaddr_in addr;
	long n;
};

static void *slow_client(void *arg)
{
	struct slow_peer *sp = arg;
	struct timespec two_ms = {0, 2000000};
	char c;

	for (long i = 0; i < sp->n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&sp->addr, sizeof sp->addr) != 0)
			die("connect");
		if (write(fd, "q", 1) != 1 || read(fd, &c, 1) != 1)
			die("client");
		nanosleep(&two_ms, NULL);
		close(fd);
	}
	return NULL;
}

static double slow_peer(long n)
{
	struct slow_peer sp = {.addr = {.sin_family = AF_INET}, .n = n};
	socklen_t len = sizeof sp.addr;
	double spent = 0;
	pthread_t t;
	int lfd, one = 1;

	sp.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&sp.addr, sizeof sp.addr) != 0 || listen(lfd, 64) != 0)
		die("listen");
	getsockname(lfd, (struct sockaddr *)&sp.addr, &len);
	pthread_create(&t, NULL, slow_client, &sp);
	for (long i = 0; i < n; i++) {
		int fd = accept(lfd, NULL, NULL);
		double t0;

		if (fd < 0 || write(fd, "a", 1) != 1)
			die("server");
		usleep(200); /* the request byte has arrived, unread */
		t0 = now_ns();
		close(fd);
		spent += now_ns() - t0;
	}
	pthread_join(t, NULL);
	close(lfd);
	return spent / (double)n;
}

static double cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e9 +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) * 1e3;
}

static double churn_cpu(long n)
{
	double c0 = cpu_ns();

	churn(n);
	return (cpu_ns() - c0) / (double)n;
}

/* Recurses to the given depth, then closes -1. */
__attribute__((noinline)) static int deep_close(int depth)
{
	int r = depth > 0 ? deep_close(depth - 1) : close(-1);

	__asm__ volatile("" ::: "memory"); /* keeps the frame: no tail call */
	return r;
}

static double bad_close(long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		deep_close(14); /* + bad_close + main = 16 frames of the program */
	return (now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
	long n;
	double ns;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: bench pipe-close|socket-close|churn|churn-cpu|bad-close|slow-peer COUNT\n");
		return 2;
	}
	if (strcmp(argv[1], "pipe-close") == 0)
		ns = pipe_close(n);
	else if (strcmp(argv[1], "socket-close") == 0)
		ns = socket_close(n);
	else if (strcmp(argv[1], "churn") == 0)
		ns = churn(n);
	else if (strcmp(argv[1], "churn-cpu") == 0)
		ns = churn_cpu(n);
	else if (strcmp(argv[1], "bad-close") == 0)
		ns = bad_close(n);
	else if (strcmp(argv[1], "slow-peer") == 0)
		ns = slow_peer(n);
	else
		return 2;
	printf("%.1f\n", ns);
	return 0;
}
