/* Defect 8 of issue 10: with many slow clients lingering at once, an async
 * graceful close must never linger in the program's own thread.
 *
 *   linger_capacity N
 *
 * A server accepts N connections, answers each and closes it with most of
 * the request unread, one after the other, as an event-loop server would.
 * Its clients (one forked process, one poll loop) keep sending a small
 * chunk every 20 ms after the answer, as slow or chatty clients do, until
 * the server's socket is gone (a write fails) or 15 s have passed (on a
 * slow machine the server's last closes came so late that clients that
 * stopped after 5 s ended their lingering before its timeout: 170 of 300
 * graceful_timeout records, CI).  Prints
 * the server's pid (its log is SOCKSHIM_LOG's %p) and how many clients got
 * the whole answer. */
#include "progs.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <time.h>

#define ANSWER 1000

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct client {
	int fd;
	size_t got;
	int eof, gone;
};

static int clients(int port, int n)
{
	struct client *c = calloc((size_t)n, sizeof *c);
	int64_t end;
	int whole = 0, left = n;

	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < n; i++) {
		c[i].fd = connect_loopback(port);
		write_all(c[i].fd, "GET / and a long request the server will not read\n", 51);
		fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
	}
	end = now_ms() + 15000;
	while (left > 0 && now_ms() < end) {
		for (int i = 0; i < n; i++) {
			char buf[4096];
			ssize_t r;

			if (c[i].gone)
				continue;
			while ((r = read(c[i].fd, buf, sizeof buf)) > 0)
				c[i].got += (size_t)r;
			if (r == 0)
				c[i].eof = 1;
			/* After the answer (and the server's FIN), keep talking:
			 * the server's close lingers on us. */
			if ((r < 0 && errno != EAGAIN) || (c[i].eof && write(c[i].fd, "more\n", 5) < 0)) {
				c[i].gone = 1;
				left--;
			}
		}
		usleep(20 * 1000);
	}
	for (int i = 0; i < n; i++) {
		whole += c[i].got == ANSWER && c[i].eof;
		close(c[i].fd);
	}
	printf("clients: %d of %d got the whole answer and EOF, %d still connected after 15 s\n",
	       whole, n, left);
	return whole == n ? 0 : 1;
}

NOINLINE void answer_and_close(int fd)
{
	static char answer[ANSWER];
	char c;

	if (read(fd, &c, 1) != 1) /* the first byte; the rest stays unread */
		die("read");
	memset(answer, 'a', sizeof answer);
	write_all(fd, answer, sizeof answer);
	close(fd);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300, lfd, port, status;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	lfd = listen_loopback(0, &port);
	printf("server: pid %d\n", (int)getpid());
	pid = fork();
	if (pid == 0)
		_exit(clients(port, n));
	for (int i = 0; i < n; i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			die("accept");
		answer_and_close(fd);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}
