/* Micro-benchmarks of the interposed calls, run bare and under the shim by
 * tools/bench, which compares the two.  Each mode prints one number: the
 * nanoseconds per operation of this run.
 *
 *   bench pipe-close N     close() of a pipe's descriptors (the 10th
 *                          percentile of batches of 512)
 *   bench pipe-sysclose N  the same through syscall(SYS_close, fd), as
 *                          libuv (Node.js) closes
 *   bench syscall-other N  syscall(SYS_getppid): a number the shim passes
 *                          through (what Rust's futexes pay)
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
 *   bench slow-clients N PORT HOLD_MS FROM_MS TO_MS
 *                          a client of an HTTP server on 127.0.0.1:PORT
 *                          (GET /file, Connection: close): N slow clients
 *                          each send a request, read the answer to the
 *                          server's end of stream, and keep sending 16 bytes
 *                          every 100 ms for HOLD_MS after, so that the
 *                          server's close of each lingers; meanwhile, from
 *                          FROM_MS to TO_MS after the last slow client got
 *                          its answer, FRESH fresh clients, evenly spaced,
 *                          each make one request.  Prints the median and the
 *                          maximum latency of the fresh requests (from the
 *                          time each was due to its answer's end), in ns
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/syscall.h>
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

static int close_with_syscall(int fd)
{
	return (int)syscall(SYS_close, fd);
}

static double syscall_other(long n)
{
	double t0 = now_ns();

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return (now_ns() - t0) / (double)n;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The time per close of the batches' 10th percentile: a close costs the
 * same every time, and what the machine's neighbours add only ever makes a
 * batch slower (the mean of a busy minute would measure them, not the
 * close). */
static double pipe_close_with(long n, int (*closer)(int))
{
	int fds[2 * BATCH];
	long batches = (n + 2 * BATCH - 1) / (2 * BATCH);
	double *per = calloc((size_t)batches, sizeof *per), p10;

	if (!per)
		die("calloc");
	for (long b = 0; b < batches; b++) {
		double t0;

		for (int i = 0; i < BATCH; i++)
			if (pipe(fds + 2 * i) != 0)
				die("pipe");
		t0 = now_ns();
		for (int i = 0; i < 2 * BATCH; i++)
			closer(fds[i]);
		per[b] = (now_ns() - t0) / (2 * BATCH);
	}
	qsort(per, (size_t)batches, sizeof *per, by_value);
	p10 = per[batches / 10];
	free(per);
	return p10;
}

static double pipe_close(long n)
{
	return pipe_close_with(n, close);
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

/* The loopback listener of the connection benchmarks, port 0: any (its
 * address in *a). */
static int listen_on_loopback(int port, struct sockaddr_in *a)
{
	socklen_t len = sizeof *a;
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);

	*a = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)a, sizeof *a) != 0 || listen(lfd, 1024) != 0)
		die("listen");
	getsockname(lfd, (struct sockaddr *)a, &len);
	return lfd;
}

/* A server's side of one connection: the whole request of size bytes, then
 * as many back (the caller closes).  False if the answer could not go. */
static bool answer_request(int fd, char *buf, size_t size)
{
	ssize_t got = 0, r;

	while (got < (ssize_t)size && (r = read(fd, buf + got, size - (size_t)got)) > 0)
		got += r;
	return write(fd, buf, size) == (ssize_t)size;
}

/* A client's side of one connection to a: request, the whole answer, EOF,
 * close. */
static void exchange(const struct sockaddr_in *a, char *buf, size_t size)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t got = 0, r;

	if (fd < 0 || connect(fd, (const struct sockaddr *)a, sizeof *a) != 0)
		die("connect");
	if (write(fd, buf, size) != (ssize_t)size)
		die("write");
	while ((r = read(fd, buf, size)) > 0)
		got += r;
	if (got != (ssize_t)size)
		die("short answer");
	close(fd);
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

		if (fd < 0)
			die("accept");
		if (!answer_request(fd, buf, sizeof buf))
			die("write");
		close(fd);
	}
	return NULL;
}

static double churn(long n)
{
	struct sockaddr_in a;
	struct server s = {.n = n};
	pthread_t t;
	char buf[64];
	double t0;

	s.lfd = listen_on_loopback(0, &a);
	memset(buf, 'q', sizeof buf);
	t0 = now_ns();
	pthread_create(&t, NULL, serve, &s);
	for (long i = 0; i < n; i++)
		exchange(&a, buf, sizeof buf);
	pthread_join(t, NULL);
	close(s.lfd);
	return (now_ns() - t0) / (double)n;
}

/* The classic forking server (inetd-style daemons, PostgreSQL, sshd): the
 * server process accepts and forks; the child reads the request, answers,
 * closes and exits; the parent closes its copy and reaps.  The client is
 * this process, which forked the server: both run under the shim. */
static double fork_server(long n)
{
	struct sockaddr_in a;
	char buf[64];
	double t0;
	int lfd = listen_on_loopback(0, &a);
	pid_t server;

	memset(buf, 'q', sizeof buf);
	server = fork();
	if (server < 0)
		die("fork");
	if (server == 0) {
		for (long i = 0; i < n; i++) {
			int fd = accept(lfd, NULL, NULL);
			pid_t child;

			if (fd < 0)
				die("accept");
			child = fork();
			if (child < 0)
				die("fork");
			if (child == 0) {
				close(lfd);
				if (!answer_request(fd, buf, sizeof buf))
					die("write");
				close(fd);
				exit(0);
			}
			close(fd);
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		}
		while (wait(NULL) > 0)
			;
		exit(0);
	}
	close(lfd);
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		exchange(&a, buf, sizeof buf);
	t0 = now_ns() - t0;
	waitpid(server, NULL, 0);
	return t0 / (double)n;
}

/* A backend for a proxy under test: answers each connection's 64-byte
 * request with 64 bytes and closes, for ever. */
__attribute__((noreturn)) static void echo_server(int port)
{
	struct sockaddr_in a;
	int lfd = listen_on_loopback(port, &a);
	char buf[64];
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			continue;
		if (!answer_request(fd, buf, sizeof buf))
			perror("bench echo-server: write");
		close(fd);
	}
}

/* Connections to port, one after the other: request, whole answer, EOF,
 * close.  Nanoseconds per connection. */
static double client(long n, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	char buf[64];
	double t0 = now_ns();

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(buf, 'q', sizeof buf);
	for (long i = 0; i < n; i++)
		exchange(&a, buf, sizeof buf);
	return (now_ns() - t0) / (double)n;
}

/* A DNS client over TCP (RFC 1035 4.2.2: a two-byte length, then the
 * message) to a server on 127.0.0.1:port: n connections one after the
 * other, each one query for example.test's A record and its whole answer;
 * time per connection.  Exit 1 if an answer is not one. */
static double dns_tcp(long n, int port)
{
	static const unsigned char query[] = {
		0, 30,			/* length */
		0x12, 0x34, 0x01, 0x00, /* id, flags: recursion desired */
		0, 1, 0, 0, 0, 0, 0, 0, /* one question */
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 4, 't', 'e', 's', 't', 0,
		0, 1, 0, 1 /* A, IN */
	};
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	unsigned char buf[512];
	double t0 = now_ns();

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		size_t want = 2, got = 0;

		if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
			die("connect");
		if (write(fd, query, sizeof query) != (ssize_t)sizeof query)
			die("write");
		while (got < want) {
			ssize_t r = read(fd, buf + got, want - got);

			if (r <= 0)
				die("a short answer");
			got += (size_t)r;
			if (got == 2)
				want = 2 + ((size_t)buf[0] << 8 | buf[1]);
			if (want > sizeof buf)
				die("a long answer");
		}
		if (want < 14 || buf[2] != 0x12 || buf[3] != 0x34 || !(buf[4] & 0x80))
			die("not an answer");
		close(fd);
	}
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

/* An event-loop server closing many connections at once (lighttpd's
 * lingering closes end on one timer tick): n connections whose clients
 * stay connected and silent, the server's ends in an epoll instance, then
 * each closed; time per close.  Under SOCKSHIM_GRACEFUL=1 every close
 * hands its socket to the background, with the n - 1 before it still
 * lingering.  The soft descriptor limit is raised to the hard one, as
 * busy servers do.  first_only: the time of the first close alone (the
 * shim's first graceful close in a process, with n connections open). */
static double close_burst(long n, bool first_only)
{
	struct sockaddr_in a;
	struct rlimit rl;
	int lfd, ep = epoll_create1(0);
	int *c = calloc((size_t)n, sizeof *c), *s = calloc((size_t)n, sizeof *s);
	double t0;

	if (!c || !s || ep < 0)
		die("calloc/epoll_create1");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	lfd = listen_on_loopback(0, &a);
	for (long i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = 0};

		c[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (c[i] < 0 || connect(c[i], (struct sockaddr *)&a, sizeof a) != 0)
			die("connect");
		s[i] = accept(lfd, NULL, NULL);
		ev.data.fd = s[i];
		if (s[i] < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, s[i], &ev) != 0)
			die("accept");
	}
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		close(s[i]);
		if (i == 0 && first_only)
			t0 = now_ns() - t0;
	}
	if (!first_only)
		t0 = (now_ns() - t0) / (double)n;
	for (long i = 0; i < n; i++)
		close(c[i]);
	close(lfd);
	close(ep);
	free(c);
	free(s);
	return t0;
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

/* ---- slow-clients: an event-loop server's fresh clients while many slow
 * ones hold on ---- */
#define FRESH 50

static const char http_request[] = "GET /file HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n";

static struct sockaddr_in http_addr;

static int http_connect(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&http_addr, sizeof http_addr) != 0)
		die("connect");
	if (write(fd, http_request, sizeof http_request - 1) != (ssize_t)(sizeof http_request - 1))
		die("write request");
	return fd;
}

struct slow {
	int fd;
	int answered;	   /* the server's end of stream came */
	double done_ns;	   /* when to stop sending and close */
	double next_ns;	   /* when to send again */
};

struct slow_clients {
	long n;
	double hold_ns;
	struct slow *c;
	pthread_mutex_t mu;
	pthread_cond_t answered; /* every slow client has its answer */
	long n_answered;
	double last_answer_ns;
};

static void *run_slow_clients(void *arg)
{
	struct slow_clients *sc = arg;
	struct pollfd *p = calloc((size_t)sc->n, sizeof *p);
	char buf[65536], junk[16];
	long left = sc->n;

	if (!p)
		die("calloc");
	memset(junk, 'z', sizeof junk);
	for (long i = 0; i < sc->n; i++)
		sc->c[i] = (struct slow){.fd = http_connect()};
	while (left > 0) {
		double now = now_ns();

		for (long i = 0; i < sc->n; i++) {
			struct slow *c = &sc->c[i];

			p[i] = (struct pollfd){.fd = -1};
			if (c->fd < 0)
				continue;
			if (c->answered && now >= c->done_ns) {
				close(c->fd);
				c->fd = -1;
				left--;
				continue;
			}
			if (c->answered && now >= c->next_ns) {
				/* errors (the server reset) end nothing: the hold
				 * time does */
				send(c->fd, junk, sizeof junk, MSG_NOSIGNAL | MSG_DONTWAIT);
				c->next_ns = now + 100e6;
			}
			p[i] = (struct pollfd){.fd = c->answered ? -1 : c->fd, .events = POLLIN};
		}
		if (poll(p, (nfds_t)sc->n, 10) < 0 && errno != EINTR)
			die("poll");
		now = now_ns();
		for (long i = 0; i < sc->n; i++) {
			struct slow *c = &sc->c[i];

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (read(c->fd, buf, sizeof buf) <= 0) {
				c->answered = 1;
				c->next_ns = now;
				c->done_ns = now + sc->hold_ns;
				pthread_mutex_lock(&sc->mu);
				sc->last_answer_ns = now;
				if (++sc->n_answered == sc->n)
					pthread_cond_signal(&sc->answered);
				pthread_mutex_unlock(&sc->mu);
			}
		}
	}
	free(p);
	return NULL;
}

struct fresh {
	double due_ns, latency_ns;
	int ok;
	pthread_t t;
};

static void *fresh_client(void *arg)
{
	struct fresh *f = arg;
	struct timespec due = {(time_t)(f->due_ns / 1e9), (long)((long long)f->due_ns % 1000000000LL)};
	char buf[65536], head[16] = "";
	size_t got = 0;
	ssize_t r;
	int fd;

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
	fd = http_connect();
	while ((r = read(fd, buf, sizeof buf)) > 0) {
		if (got < sizeof head - 1)
			memcpy(head + got, buf, (size_t)r < sizeof head - 1 - got ? (size_t)r : sizeof head - 1 - got);
		got += (size_t)r;
	}
	f->latency_ns = now_ns() - f->due_ns;
	f->ok = strncmp(head, "HTTP/1.1 200", 12) == 0;
	close(fd);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int slow_clients(long n, int port, long hold_ms, long from_ms, long to_ms)
{
	struct slow_clients sc = {.n = n, .hold_ns = (double)hold_ms * 1e6, .mu = PTHREAD_MUTEX_INITIALIZER,
				  .answered = PTHREAD_COND_INITIALIZER};
	struct fresh f[FRESH];
	double lat[FRESH], t0;
	pthread_t slow;
	int bad = 0;

	http_addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
	http_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sc.c = calloc((size_t)n, sizeof *sc.c);
	if (!sc.c)
		die("calloc");
	pthread_create(&slow, NULL, run_slow_clients, &sc);
	pthread_mutex_lock(&sc.mu);
	while (sc.n_answered < n)
		pthread_cond_wait(&sc.answered, &sc.mu);
	t0 = sc.last_answer_ns;
	pthread_mutex_unlock(&sc.mu);
	for (int i = 0; i < FRESH; i++) {
		f[i] = (struct fresh){.due_ns = t0 + ((double)from_ms + (double)(to_ms - from_ms) * i / FRESH) * 1e6};
		pthread_create(&f[i].t, NULL, fresh_client, &f[i]);
	}
	for (int i = 0; i < FRESH; i++) {
		pthread_join(f[i].t, NULL);
		lat[i] = f[i].latency_ns;
		bad += !f[i].ok;
	}
	pthread_join(slow, NULL);
	free(sc.c);
	if (bad)
		fprintf(stderr, "bench: slow-clients: %d of %d fresh requests without a 200 answer\n", bad, FRESH);
	qsort(lat, FRESH, sizeof lat[0], cmp_double);
	printf("%.1f %.1f\n", (lat[FRESH / 2 - 1] + lat[FRESH / 2]) / 2, lat[FRESH - 1]);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	long n;
	double ns;

	if (argc == 3 && strcmp(argv[1], "echo-server") == 0)
		echo_server(atoi(argv[2]));
	if (argc == 4 && strcmp(argv[1], "client") == 0 && (n = atol(argv[2])) > 0) {
		printf("%.1f\n", client(n, atoi(argv[3])));
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "dns-tcp") == 0 && (n = atol(argv[2])) > 0) {
		printf("%.1f\n", dns_tcp(n, atoi(argv[3])));
		return 0;
	}
	if (argc == 7 && strcmp(argv[1], "slow-clients") == 0 && (n = atol(argv[2])) > 0)
		return slow_clients(n, atoi(argv[3]), atol(argv[4]), atol(argv[5]), atol(argv[6]));
	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: bench pipe-close|pipe-sysclose|syscall-other|socket-close|churn|churn-cpu|bad-close|slow-peer|fork-server|close-burst|first-close COUNT\n"
				"       bench slow-clients COUNT PORT HOLD_MS FROM_MS TO_MS\n"
				"       bench echo-server PORT\n"
				"       bench client COUNT PORT\n"
				"       bench dns-tcp COUNT PORT\n");
		return 2;
	}
	if (strcmp(argv[1], "pipe-close") == 0)
		ns = pipe_close(n);
	else if (strcmp(argv[1], "pipe-sysclose") == 0)
		ns = pipe_close_with(n, close_with_syscall);
	else if (strcmp(argv[1], "syscall-other") == 0)
		ns = syscall_other(n);
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
	else if (strcmp(argv[1], "fork-server") == 0)
		ns = fork_server(n);
	else if (strcmp(argv[1], "close-burst") == 0)
		ns = close_burst(n, false);
	else if (strcmp(argv[1], "first-close") == 0)
		ns = close_burst(n, true);
	else
		return 2;
	printf("%.1f\n", ns);
	return 0;
}
