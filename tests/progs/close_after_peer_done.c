/* A close with request bytes unread, on a socket the protocol is already
 * done with: the server shut its sending side down, the peer read the
 * EOF and closed too, so the server's socket went to TIME_WAIT (the
 * socket the program holds is then closed, TCP_CLOSE).  tcp_close() sends
 * no reset then, unread data notwithstanding (the JDK's Socket.close()
 * shuts down first and gets here whenever the client is quick).
 *
 *   close_after_peer_done done|open
 * done: as above; open: the peer keeps its end open (the close resets). */
#include "progs.h"

#include <netinet/tcp.h>
#include <stdbool.h>
#include <time.h>

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof ti;

	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 ? ti.tcpi_state : -1;
}

NOINLINE void close_unread(int fd)
{
	close(fd);
}

int main(int argc, char **argv)
{
	static char buf[4096];
	int lfd, port, cfd, sfd;
	bool done = argc > 1 && strcmp(argv[1], "done") == 0;

	lfd = listen_loopback(0, &port);
	cfd = connect_loopback(port);
	sfd = accept(lfd, NULL, NULL);
	if (sfd < 0)
		die("accept");
	write_all(cfd, buf, sizeof buf); /* the request, never read */
	shutdown(sfd, SHUT_WR);
	if (read(cfd, buf, sizeof buf) != 0)
		die("expected EOF");
	if (done) {
		close(cfd);
		for (int i = 0; i < 2000 && tcp_state(sfd) != TCP_CLOSE; i++)
			nanosleep(&(struct timespec){0, 1000000}, NULL);
		if (tcp_state(sfd) != TCP_CLOSE)
			die("the server's socket did not reach TCP_CLOSE");
	}
	close_unread(sfd);
	if (!done)
		close(cfd);
	close(lfd);
	return 0;
}
