/* A connection registered in an epoll instance ends by dup2() of another
 * file onto its number ("dup2"), by close_range() ("range") or by close()
 * ("close"), while its peer stays connected; then epoll_wait for 300 ms
 * (the supervisor's tests: regress_supervise_graceful_dup2_epoll).  Prints
 * the events it got; bare, none: the registration ends with the socket's
 * last reference.  On stderr: "ended N", the connection's number. */
#include "progs.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "";
	int port, l = listen_loopback(0, &port), c = connect_loopback(port), s, ep, n;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP}, got[4];

	s = accept(l, NULL, NULL);
	ep = epoll_create1(0);
	if (s < 0 || ep < 0)
		die("accept or epoll_create1");
	ev.data.fd = s;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) != 0)
		die("epoll_ctl");
	if (!strcmp(how, "dup2")) {
		int null = open("/dev/null", O_RDONLY);

		if (null < 0 || dup2(null, s) != s)
			die("dup2");
		close(null);
	} else if (!strcmp(how, "range")) {
		if (syscall(SYS_close_range, s, s, 0) != 0)
			die("close_range");
	} else if (!strcmp(how, "close")) {
		close(s);
	} else {
		fprintf(stderr, "usage: epoll_end_by dup2|range|close\n");
		return 2;
	}
	fprintf(stderr, "ended %d\n", s);
	n = epoll_wait(ep, got, 4, 300);
	printf("%s: %d event(s)", how, n);
	for (int i = 0; i < n; i++)
		printf(" [fd %d events 0x%x]", got[i].data.fd, got[i].events);
	printf("\n");
	close(c);
	return 0;
}
