/* epoll_inherited [EPOLL_NUMBER]: an epoll instance made before exec, which
 * the shim in the new image never saw made.  The first image makes the
 * instance (moved to EPOLL_NUMBER if given) and execs itself with its
 * number; the new image makes a connection, registers its server end in
 * the instance, closes it while the peer is still connected; the peer
 * writes, and the instance is asked.  Bare, the close removed the
 * registration: "none".  Exit 77: EPOLL_NUMBER is above the hard
 * descriptor limit.  Prints "stale" if an event came for the closed
 * number. */
#include "progs.h"

#include <sys/resource.h>

int main(int argc, char **argv)
{
	int port, lfd, c, s, ep;
	char num[16];

	if (argc == 3 && strcmp(argv[1], "exec") == 0) {
		ep = atoi(argv[2]);
		lfd = listen_loopback(0, &port);
		c = connect_loopback(port);
		s = accept(lfd, NULL, NULL);
		if (s < 0)
			die("accept");
		printf("%s\n", closed_in_epoll(ep, s, c));
		return 0;
	}
	ep = epoll_create1(0); /* inherited across exec */
	if (ep < 0)
		die("epoll_create1");
	if (argc > 1) {
		int at = atoi(argv[1]);
		struct rlimit rl;

		/* (the soft limit raised to the hard one, as busy servers do) */
		if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
			die("getrlimit");
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || (rlim_t)at >= rl.rlim_cur)
			return 77;
		if (dup2(ep, at) != at)
			die("dup2");
		close(ep);
		ep = at;
	}
	snprintf(num, sizeof num, "%d", ep);
	execl("/proc/self/exe", argv[0], "exec", num, (char *)NULL);
	die("exec");
	return 1;
}
