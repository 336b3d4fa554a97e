/* Graceful-close cases, each in one process with a client child:
 *
 *   graceful_cases order      the server closes with request bytes unread
 *                             and says "close returned" on stderr; only then
 *                             does the client read the answer, to its end
 *   graceful_cases dup        the server dup()s the connection, closes one
 *                             number, answers on the other
 *   graceful_cases fork       the server forks a child per connection and
 *                             closes its own copy, as forking servers do;
 *                             the child answers
 *   graceful_cases flood N    N connections closed by the server while the
 *                             clients keep them open until all are closed
 *   graceful_cases firehose   the client never stops sending; the server
 *                             closes
 *   graceful_cases exit       the server closes and exits at once; the
 *                             client, told that the close returned, sends
 *                             more, then its EOF, and reads the answer
 *
 * The client prints what it received and how it ended; exit 0 when the
 * case went as it should. */
#include "progs.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>

#define ANSWER 200000

static int lfd, port;

static void make_listener(void)
{
	lfd = listen_loopback(0, &port);
}

static int accept_one(void)
{
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		die("accept");
	return fd;
}

static void send_answer(int fd, size_t n)
{
	static char buf[ANSWER];

	memset(buf, 'a', sizeof buf);
	write_all(fd, buf, n < sizeof buf ? n : sizeof buf);
}

/* Reads to the end; returns 0 if it got want bytes and then EOF. */
static int read_to_end(int fd, size_t want, const char *who)
{
	char buf[65536];
	size_t total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) > 0)
		total += (size_t)n;
	printf("%s: received %zu bytes, then %s\n", who, total, n == 0 ? "EOF" : strerror(errno));
	fflush(stdout);
	return n == 0 && total == want ? 0 : 1;
}

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

NOINLINE void server_close(int fd)
{
	close(fd);
}

static int case_order(void)
{
	int marker[2], fd;
	pid_t pid;
	char c;

	if (pipe(marker) != 0)
		die("pipe");
	make_listener();
	pid = fork();
	if (pid == 0) {
		static char request[60000];

		fd = connect_loopback(port);
		memset(request, 'r', sizeof request);
		write_all(fd, request, sizeof request);
		if (read(marker[0], &c, 1) != 1) /* the server's close has returned */
			_exit(3);
		_exit(read_to_end(fd, ANSWER, "client"));
	}
	fd = accept_one();
	if (read(fd, &c, 1) != 1)
		die("read");
	send_answer(fd, ANSWER);
	server_close(fd);
	fprintf(stderr, "close returned\n");
	if (write(marker[1], "x", 1) != 1)
		die("write");
	return wait_child(pid);
}

static int case_dup(void)
{
	int fd, d;
	pid_t pid = fork();

	if (pid == 0) {
		make_listener();
		_exit(0);
	}
	wait_child(pid);
	make_listener();
	pid = fork();
	if (pid == 0) {
		fd = connect_loopback(port);
		_exit(read_to_end(fd, 11, "client"));
	}
	fd = accept_one();
	d = dup(fd);
	server_close(fd); /* must not end the connection: d still holds it */
	usleep(50000);
	write_all(d, "still here\n", 11);
	close(d);
	return wait_child(pid);
}

static int case_fork(void)
{
	pid_t client, handler;
	int fd, status = 0;

	make_listener();
	client = fork();
	if (client == 0) {
		int rc = 0;

		for (int i = 0; i < 3; i++) {
			fd = connect_loopback(port);
			rc |= read_to_end(fd, ANSWER, "client");
			close(fd);
		}
		_exit(rc);
	}
	for (int i = 0; i < 3; i++) {
		fd = accept_one();
		handler = fork();
		if (handler == 0) {
			close(lfd);
			usleep(20000); /* the parent closes its copy first */
			send_answer(fd, ANSWER);
			close(fd);
			_exit(0);
		}
		server_close(fd); /* the parent's copy */
		status |= wait_child(handler);
	}
	return status | wait_child(client);
}

static int case_flood(int n)
{
	int go[2], *fds = calloc((size_t)n, sizeof *fds);
	pid_t pid;
	char c;

	if (pipe(go) != 0 || !fds)
		die("pipe");
	make_listener();
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < n; i++)
			fds[i] = connect_loopback(port);
		for (int i = 0; i < n; i++)
			if (read(fds[i], &c, 1) != 1)
				_exit(3);
		if (read(go[0], &c, 1) != 1) /* every server close has returned */
			_exit(4);
		for (int i = 0; i < n; i++)
			close(fds[i]);
		_exit(0);
	}
	for (int i = 0; i < n; i++) {
		fds[i] = accept_one();
		write_all(fds[i], "x", 1);
	}
	for (int i = 0; i < n; i++)
		server_close(fds[i]);
	if (write(go[1], "x", 1) != 1)
		die("write");
	return wait_child(pid);
}

static int case_firehose(void)
{
	pid_t pid;
	int fd;
	char c;

	make_listener();
	pid = fork();
	if (pid == 0) {
		static char buf[65536];
		long long sent = 0;
		ssize_t w;

		signal(SIGPIPE, SIG_IGN);
		fd = connect_loopback(port);
		memset(buf, 'f', sizeof buf);
		while ((w = write(fd, buf, sizeof buf)) > 0)
			sent += w;
		printf("client: sent %lld bytes, then %s\n", sent, strerror(errno));
		_exit(0);
	}
	fd = accept_one();
	if (read(fd, &c, 1) != 1)
		die("read");
	server_close(fd);
	return wait_child(pid);
}

static int case_exit(void)
{
	int ready[2], fd;
	pid_t pid;
	char c;

	if (pipe(ready) != 0)
		die("pipe");
	make_listener();
	pid = fork();
	if (pid == 0) {
		static char more[65536];
		int rc;

		close(ready[1]);
		fd = connect_loopback(port);
		write_all(fd, "GET\n", 4);
		if (read(ready[0], &c, 1) != 1) /* the server's close returned */
			_exit(3);
		memset(more, 'm', sizeof more);
		write_all(fd, more, sizeof more); /* bytes nobody will read */
		shutdown(fd, SHUT_WR);
		rc = read_to_end(fd, ANSWER, "client");
		_exit(rc);
	}
	close(ready[0]);
	fd = accept_one();
	if (read(fd, &c, 1) != 1)
		die("read");
	send_answer(fd, ANSWER);
	server_close(fd);
	if (write(ready[1], "x", 1) != 1)
		die("write");
	/* exit at once, with the socket still lingering; the client is our
	 * child, reaped by init: the test reads its output */
	return 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(c, "order") == 0)
		return case_order();
	if (strcmp(c, "dup") == 0)
		return case_dup();
	if (strcmp(c, "fork") == 0)
		return case_fork();
	if (strcmp(c, "flood") == 0)
		return case_flood(argc > 2 ? atoi(argv[2]) : 300);
	if (strcmp(c, "firehose") == 0)
		return case_firehose();
	if (strcmp(c, "exit") == 0)
		return case_exit();
	return 2;
}
