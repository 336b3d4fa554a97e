/* An event-loop server in the style of haproxy, libevent and redis:
 *
 *   epoll_server lt|et PORT N
 *
 * One thread, one epoll set; the epoll data of a connection is its
 * descriptor number (in the low 32 bits; see below).  A connection is
 * accepted, added with EPOLLIN (level- or edge-triggered), its request line
 * "hello <id>\n" read (and whatever else is readable), the answer written
 * ("<id> " and ANSWER_LEN - 1 bytes of a pattern, then "\n"), and the
 * connection close()d WITHOUT EPOLL_CTL_DEL: like those servers, it relies
 * on close() to take the socket out of the epoll set.
 *
 * It keeps a table of the numbers it holds, and counts:
 *   stale     events for a number it does not hold (it closed it);
 *   reused    events for a number it holds, but that were meant for an
 *             earlier connection at that number: the high 32 bits of the
 *             epoll data carry a generation the dispatch itself never uses,
 *             only this count;
 *   spurious  EPOLLIN on a connection it holds with nothing to read.
 * After N connections served it prints "stale S", "reused R",
 * "spurious P", "served N" and exits 0. */
#include "progs.h"

#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>

#define MAXFD 65536
#define ANSWER_LEN 8000

struct conn {
	int open;
	uint32_t gen;
	size_t got;
	char req[256];
};

static struct conn conns[MAXFD];
static uint32_t next_gen = 1;
static long stale, reused, spurious, served;

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		die("fcntl");
}

/* Writes all of buf to a non-blocking socket, waiting for room if needed. */
static void write_nb(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd p = {.fd = fd, .events = POLLOUT};

			poll(&p, 1, 1000);
			continue;
		}
		if (n < 0) /* the client went away: nothing more to say */
			return;
		buf += n;
		len -= (size_t)n;
	}
}

NOINLINE static void answer_and_close(int fd)
{
	static char buf[ANSWER_LEN];
	struct conn *c = &conns[fd];
	char *nl = memchr(c->req, '\n', c->got);
	int head;

	*nl = '\0';
	head = snprintf(buf, sizeof buf, "%s ", strncmp(c->req, "hello ", 6) == 0 ? c->req + 6 : "?");
	for (int i = head; i < ANSWER_LEN - 1; i++)
		buf[i] = (char)('a' + i % 26);
	buf[ANSWER_LEN - 1] = '\n';
	write_nb(fd, buf, ANSWER_LEN);
	c->open = 0;
	close(fd); /* no EPOLL_CTL_DEL: close() is relied on */
	served++;
}

/* Reads what the connection has; answers once the request line is in. */
static void on_readable(int fd, int edge)
{
	struct conn *c = &conns[fd];
	char sink[4096];
	int got_any = 0;

	for (;;) {
		char *dst = c->got < sizeof c->req ? c->req + c->got : sink;
		size_t room = c->got < sizeof c->req ? sizeof c->req - c->got : sizeof sink;
		ssize_t n = read(fd, dst, room);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			if (!got_any)
				spurious++;
			break;
		}
		if (n <= 0) { /* EOF or error before an answer: drop it */
			c->open = 0;
			close(fd);
			return;
		}
		got_any = 1;
		if (dst == c->req)
			c->got += (size_t)n;
		if (!edge && memchr(c->req, '\n', c->got))
			break;
	}
	if (memchr(c->req, '\n', c->got)) {
		/* read what else is readable now, so that the close is not
		 * abortive bare (unread data makes Linux send a reset) */
		while (read(fd, sink, sizeof sink) > 0)
			;
		answer_and_close(fd);
	}
}

int main(int argc, char **argv)
{
	struct epoll_event ev, evs[64];
	int edge, port, lfd, ep;
	long want;

	if (argc != 4 || (strcmp(argv[1], "lt") && strcmp(argv[1], "et"))) {
		fprintf(stderr, "usage: epoll_server lt|et PORT N\n");
		return 2;
	}
	edge = strcmp(argv[1], "et") == 0;
	port = atoi(argv[2]);
	want = atol(argv[3]);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_loopback(port, NULL);
	set_nonblock(lfd);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) != 0)
		die("epoll_ctl listener");

	while (served < want) {
		int n = epoll_wait(ep, evs, 64, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			int fd = (int)(uint32_t)evs[i].data.u64;
			uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);

			if (fd == lfd) {
				int cfd;

				while ((cfd = accept(lfd, NULL, NULL)) >= 0) {
					if (cfd >= MAXFD)
						die("descriptor too high");
					set_nonblock(cfd);
					conns[cfd] = (struct conn){.open = 1, .gen = next_gen++};
					ev.events = EPOLLIN | (edge ? EPOLLET : 0);
					ev.data.u64 = (uint64_t)conns[cfd].gen << 32 | (uint32_t)cfd;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev) != 0)
						die("epoll_ctl add");
				}
				continue;
			}
			if (fd < 0 || fd >= MAXFD || !conns[fd].open) {
				stale++;
				continue;
			}
			if (gen != conns[fd].gen)
				reused++;
			/* dispatched by number, as those servers do */
			on_readable(fd, edge);
		}
	}
	printf("stale %ld\nreused %ld\nspurious %ld\nserved %ld\n", stale, reused, spurious, served);
	return 0;
}
