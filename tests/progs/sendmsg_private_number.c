/* sendmsg() on a number the program never opened must fail with EBADF,
 * whatever the shim keeps there.
 *
 *   sendmsg_private_number
 *
 * First gives the shim reason to hold descriptors of its own: a graceful
 * close of a connection whose peer stays (the background's copy lingers),
 * and a double close (a record with a backtrace: the log file, libunwind's
 * pipe).  Then, for every number in /proc/self/fd it did not open itself,
 * prints "N sendmsg R ERRNO" (bare: "-1 EBADF"), and "foreign K". */
#include "progs.h"

#include <dirent.h>
#include <sys/uio.h>

NOINLINE void first_closer(int fd)
{
	close(fd);
}

NOINLINE void second_closer(int fd)
{
	close(fd);
}

int main(void)
{
	int port, lfd = listen_loopback(0, &port), peer = connect_loopback(port);
	int conn = accept(lfd, NULL, NULL), fd, fds[1024], n = 0, count = 0;
	char data[] = "program data\n";
	struct iovec iov = {data, sizeof data - 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	struct dirent *e;
	DIR *d;

	if (conn < 0)
		die("accept");
	write_all(peer, "unread", 6);
	close(conn); /* lingers in the background: the peer stays */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	first_closer(fd);
	second_closer(fd); /* a double_close record */

	d = opendir("/proc/self/fd");
	if (!d)
		die("opendir");
	while ((e = readdir(d)) && n < 1024)
		if (e->d_name[0] != '.')
			fds[n++] = atoi(e->d_name);
	for (int i = 0; i < n; i++) {
		ssize_t r;

		fd = fds[i];
		if (fd <= 2 || fd == lfd || fd == peer || fd == dirfd(d))
			continue;
		count++;
		errno = 0;
		r = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		printf("%d sendmsg %zd %s\n", fd, r, r < 0 ? strerrorname_np(errno) : "-");
	}
	closedir(d);
	printf("foreign %d\n", count);
	close(peer); /* the lingering ends */
	close(lfd);
	return 0;
}
