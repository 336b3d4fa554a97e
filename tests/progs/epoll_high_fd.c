/* epoll_high_fd NUMBER [EPOLL_NUMBER]: a connection at NUMBER (the program
 * raises its soft descriptor limit to the hard one first, as busy servers
 * do), registered in an epoll instance and closed while its peer is still
 * connected; then the peer writes.  Bare, the close removed the
 * registration: "none".  Prints "stale" if an event came for the closed
 * number.  NUMBER 0: where accept(2) put it (no copy of the socket).
 * With EPOLL_NUMBER, the instance is moved there first (dup2, then the
 * first number closed): an instance known only by a copy. */
#include "progs.h"

#include <sys/resource.h>

int main(int argc, char **argv)
{
	int target = argc > 1 ? atoi(argv[1]) : 2000, ep_at = argc > 2 ? atoi(argv[2]) : -1, port,
	    lfd, c, s, ep;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		die("getrlimit");
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || (rlim_t)target >= rl.rlim_cur ||
	    (ep_at >= 0 && (rlim_t)ep_at >= rl.rlim_cur))
		return 77;
	lfd = listen_loopback(0, &port);
	c = connect_loopback(port);
	s = accept(lfd, NULL, NULL);
	if (s < 0)
		die("accept");
	if (target == 0) {
		target = s; /* where accept put it: no copy */
	} else {
		if (dup2(s, target) != target)
			die("dup2");
		close(s);
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep >= 0 && ep_at >= 0) {
		if (dup2(ep, ep_at) != ep_at)
			die("dup2 epoll");
		close(ep);
		ep = ep_at;
	}
	if (ep < 0)
		die("epoll_create1");
	printf("%s\n", closed_in_epoll(ep, target, c));
	return 0;
}
