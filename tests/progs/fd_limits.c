/* Descriptors at the edges of what the shim can have seen.
 *
 *   fd_limits high       raises RLIMIT_NOFILE to 1M (or, without the
 *                        privilege, the soft limit to the hard one), puts a
 *                        connection and a listener at the top of it (dup2
 *                        to limit-1 and 70% of it), closes them (a double
 *                        close of the top one from high_closer) and
 *                        close_ranges over them; prints "ok TOP"
 *   fd_limits inherit P  makes a connection, clears close-on-exec, and execs
 *                        P (fd_limits child N) with the number
 *   fd_limits child N    closes inherited descriptor N twice
 *                        (inherited_closer), and 9 that was never open */
#include "progs.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/resource.h>

NOINLINE void high_closer(int fd)
{
	close(fd);
}

NOINLINE void inherited_closer(int fd)
{
	close(fd);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(mode, "high") == 0) {
		struct rlimit rl = {1 << 20, 1 << 20};
		int port, lfd, c, s, top, mid;

		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			getrlimit(RLIMIT_NOFILE, &rl);
			rl.rlim_cur = rl.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
				die("setrlimit");
		}
		top = (int)rl.rlim_cur - 1;
		mid = top / 10 * 7;
		lfd = listen_loopback(0, &port);
		c = connect_loopback(port);
		s = accept(lfd, NULL, NULL);
		if (dup2(s, top) != top || dup2(lfd, mid) != mid)
			die("dup2 high");
		close(s);
		close(lfd);
		write_all(top, "x", 1);
		high_closer(top);
		if (close(top) != -1 || errno != EBADF) /* a double close up there */
			die("second close");
		if (close_range((unsigned)mid - 1, (unsigned)mid + 1, 0) != 0)
			die("close_range");
		if (fcntl(mid, F_GETFD) != -1)
			die("mid still open");
		close(c);
		printf("ok %d\n", top);
		return 0;
	}
	if (strcmp(mode, "inherit") == 0 && argc == 3) {
		int port, lfd = listen_loopback(0, &port);
		int s;

		connect_loopback(port); /* stays open until the exec'd child ends */
		s = accept(lfd, NULL, NULL);
		char num[16];

		fcntl(s, F_SETFD, 0);
		snprintf(num, sizeof num, "%d", s);
		execl(argv[2], argv[2], "child", num, (char *)NULL);
		die("execl");
	}
	if (strcmp(mode, "child") == 0 && argc == 3) {
		int fd = atoi(argv[2]);

		inherited_closer(fd);
		inherited_closer(fd);
		printf("close(9): %d %s\n", close(9), strerrorname_np(errno));
		printf("ok\n");
		return 0;
	}
	return 2;
}
