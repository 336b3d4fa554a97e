/* Defect 7 of issue 10: a program's SO_LINGER {1, N} on one socket must not
 * stall the graceful close of the others.
 *
 *   linger_so_linger_stall STOPFILE
 *
 * Connection A: the program sets SO_LINGER {1, 5}, leaves the request
 * unread and fills the send buffer toward a peer that never reads and
 * never closes, then closes A.  The shim lingers on A until
 * SOCKSHIM_LINGER_MS; a real close of A after that would block 5 s (the
 * peer cannot take the queued data).  Once that deadline has passed,
 * connection B, whose peer reads the answer and then closes, is closed
 * with its request unread.  The program prints its pid (so that the script
 * can tell its records from its peers') and what B's peer received, then stays
 * alive — A's peer with it, so that nothing ends A early — until STOPFILE
 * exists (at most 15 s). */
#include "progs.h"

#include <fcntl.h>
#include <sys/wait.h>

#define ANSWER 100000

static int lfd, port;

/* A's peer: sends a request, then neither reads nor closes until the
 * program ends (its end of the hold pipe then reads EOF). */
static void peer_a(int hold)
{
	static char req[4000];
	char c;
	int fd = connect_loopback(port);

	memset(req, 'r', sizeof req);
	write_all(fd, req, sizeof req);
	(void)!read(hold, &c, 1);
	_exit(0);
}

/* B's peer: a well-behaved client, which reads the answer to its end and
 * closes — once the server's close has returned, so that B's close is
 * surely still lingering when it returns (a peer that closed at once
 * could end it inside the call, and the case would show nothing). */
static void peer_b(int returned)
{
	static char req[4000], buf[65536];
	size_t total = 0;
	ssize_t n;
	int fd = connect_loopback(port);

	memset(req, 'r', sizeof req);
	write_all(fd, req, sizeof req);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		total += (size_t)n;
	printf("B's peer: received %zu bytes, then %s\n", total, n == 0 ? "EOF" : strerror(errno));
	if (read(returned, buf, 1) != 1)
		_exit(3);
	close(fd);
	_exit(n == 0 && total == ANSWER ? 0 : 1);
}

static int accept_one(void)
{
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0)
		die("accept");
	return fd;
}

NOINLINE void close_a(int fd)
{
	close(fd);
}

NOINLINE void close_b(int fd)
{
	close(fd);
}

int main(int argc, char **argv)
{
	static char chunk[65536], answer[ANSWER];
	struct linger five = {1, 5};
	int hold[2], returned[2], a, b, status;
	long long queued = 0;
	pid_t pb;
	ssize_t n;
	char c;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	lfd = listen_loopback(0, &port);
	if (pipe(hold) != 0 || pipe(returned) != 0)
		die("pipe");
	printf("server: pid %d\n", (int)getpid());
	if (fork() == 0) {
		close(hold[1]);
		peer_a(hold[0]);
	}
	close(hold[0]);

	a = accept_one();
	if (read(a, &c, 1) != 1) /* the rest of the request stays unread */
		die("read");
	if (setsockopt(a, SOL_SOCKET, SO_LINGER, &five, sizeof five) != 0)
		die("setsockopt");
	fcntl(a, F_SETFL, O_NONBLOCK);
	memset(chunk, 'a', sizeof chunk);
	while ((n = write(a, chunk, sizeof chunk)) > 0)
		queued += n;
	fcntl(a, F_SETFL, 0);
	printf("A: %lld bytes queued toward a peer that does not read; closing A\n", queued);
	close_a(a);

	/* Past A's SOCKSHIM_LINGER_MS (300 in the test): from here on, a
	 * background that closes A for real is stuck in that close.  900 ms
	 * past it, for a background late to run on a loaded machine (600 ms
	 * left it 300); a stall still shows, B's close then waiting ~4 s of
	 * A's 5. */
	usleep(1200 * 1000);

	pb = fork();
	if (pb == 0)
		peer_b(returned[0]);
	b = accept_one();
	if (read(b, &c, 1) != 1)
		die("read");
	memset(answer, 'b', sizeof answer);
	write_all(b, answer, sizeof answer);
	close_b(b);
	printf("B: closed\n");
	if (write(returned[1], "x", 1) != 1)
		die("write");
	if (waitpid(pb, &status, 0) != pb)
		die("waitpid");

	/* The script looks for B's record while A's peer still holds on. */
	for (int i = 0; i < 750 && access(argv[1], F_OK) != 0; i++)
		usleep(20 * 1000);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}
