/* Defect 3 of issue 10: the state the shim keeps for a number must follow
 * what really happened to the number, also when the program closes behind
 * its back or two threads race to close it.
 *
 *   double_close_race race N   N rounds: a socket, two threads released
 *                              together both close() it; prints how many
 *                              closes failed with EBADF (and anything else)
 *   double_close_race reuse    a socket closed with a raw system call (the
 *                              shim does not see it), its number reused by
 *                              open("/dev/null"), which close() closes
 *   double_close_race scm      a connected socket closed with a raw system
 *                              call; a live connection still held by a
 *                              child arrives at its number through
 *                              SCM_RIGHTS and is closed here; the child
 *                              then talks to its peer over it
 *
 * Exit 0 when the program saw what it would see bare (77: no raw system
 * call on this machine). */
#include "progs.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* ---- race ---------------------------------------------------------------- */

static pthread_barrier_t start, done;
static int victim;
static int result[2]; /* 0, or the errno of each thread's close */

static void *closer(void *arg)
{
	int *res = arg;

	for (;;) {
		pthread_barrier_wait(&start);
		if (victim < 0)
			return NULL;
		*res = close(victim) == 0 ? 0 : errno;
		pthread_barrier_wait(&done);
	}
}

static int case_race(int rounds)
{
	pthread_t t[2];
	int ebadf = 0, other = 0, zero = 0;

	pthread_barrier_init(&start, NULL, 3);
	pthread_barrier_init(&done, NULL, 3);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, closer, &result[i]);
	for (int r = 0; r < rounds; r++) {
		victim = socket(AF_INET, SOCK_STREAM, 0);
		if (victim < 0)
			die("socket");
		pthread_barrier_wait(&start); /* both threads close at once */
		pthread_barrier_wait(&done);
		for (int i = 0; i < 2; i++) {
			if (result[i] == 0)
				zero++;
			else if (result[i] == EBADF)
				ebadf++;
			else
				other++;
		}
	}
	victim = -1;
	pthread_barrier_wait(&start);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	/* The kernel lets exactly one close of each round succeed. */
	printf("race: %d rounds, %d closes returned 0, %d failed with EBADF, %d otherwise\n",
	       rounds, zero, ebadf, other);
	return zero == rounds && ebadf == rounds && other == 0 ? 0 : 1;
}

/* ---- reuse --------------------------------------------------------------- */

static int case_reuse(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), f;

	if (s < 0)
		die("socket");
	if (raw_syscall3(SYS_close, s, 0, 0) == -ENOSYS)
		return 77;
	/* The lowest free number: the one the socket had. */
	f = open("/dev/null", O_RDONLY);
	if (f != s) {
		fprintf(stderr, "setup: /dev/null got %d, not the socket's %d\n", f, s);
		return 2;
	}
	if (close(f) != 0)
		die("close");
	printf("reuse: /dev/null at the socket's old number %d closed\n", f);
	return 0;
}

/* ---- scm ----------------------------------------------------------------- */

/* The child: holds a connection (C, and its client end P), passes C to
 * the parent, keeps its own copy, and after the parent's close uses it. */
static int scm_child(int over)
{
	int lfd, port, p, c;
	char buf[64], go;
	ssize_t n;

	signal(SIGPIPE, SIG_IGN);
	lfd = listen_loopback(0, &port);
	p = connect_loopback(port);
	if ((c = accept(lfd, NULL, NULL)) < 0)
		die("accept");
	send_fd(over, c);
	if (read(over, &go, 1) != 1) /* the parent has closed its copy */
		return 3;
	/* Bare, the parent's close took nothing from this connection. */
	if (write(c, "after\n", 6) != 6)
		printf("sender: write after the receiver's close: %s\n", strerror(errno));
	n = read(p, buf, sizeof buf);
	if (n == 6 && memcmp(buf, "after\n", 6) == 0) {
		printf("peer: received the sender's data after the receiver's close\n");
		return 0;
	}
	printf("peer: %s instead of the sender's data\n",
	       n == 0 ? "EOF" : n < 0 ? strerror(errno) : "other bytes");
	return 1;
}

static int case_scm(void)
{
	int sv[2], lfd, a, r, rc;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		die("socketpair");
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		fflush(stdout);
		_exit(scm_child(sv[1]));
	}
	close(sv[1]);
	/* A socket this process made and connected, which the shim would
	 * linger on at its close; the program closes it behind the shim's
	 * back.  Made last, its number is the lowest free one afterwards. */
	lfd = listen_loopback(0, NULL);
	{
		struct sockaddr_in sa;
		socklen_t len = sizeof sa;

		getsockname(lfd, (struct sockaddr *)&sa, &len);
		a = connect_loopback(ntohs(sa.sin_port));
	}
	if (raw_syscall3(SYS_close, a, 0, 0) == -ENOSYS) {
		kill(pid, SIGKILL);
		return 77;
	}
	r = recv_fd(sv[0]);
	if (r != a) {
		fprintf(stderr, "setup: the connection arrived at %d, not %d\n", r, a);
		kill(pid, SIGKILL);
		return 2;
	}
	if (close(r) != 0)
		die("close");
	printf("receiver: closed the connection that arrived at %d\n", r);
	fflush(stdout);
	if (write(sv[0], "x", 1) != 1)
		die("write");
	if (waitpid(pid, &rc, 0) != pid)
		die("waitpid");
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 99;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "race") == 0)
		return case_race(argc > 2 ? atoi(argv[2]) : 20000);
	if (argc == 2 && strcmp(argv[1], "reuse") == 0)
		return case_reuse();
	if (argc == 2 && strcmp(argv[1], "scm") == 0)
		return case_scm();
	fprintf(stderr, "usage: double_close_race race [N] | reuse | scm\n");
	return 2;
}
