/* Numbers the program never opened must behave as never opened, whatever
 * the shim holds there (issue 10, defect 6).
 *
 *   private_fds foreign    first gives the shim reason to hold descriptors
 *                          (a graceful close of a connection, a double close
 *                          whose record has a backtrace: the log file and
 *                          libunwind's pipe), then, for every number in
 *                          /proc/self/fd it did not open itself, prints
 *                          "N CALL RESULT ERRNO" for fcntl(F_GETFD), dup,
 *                          dup2 onto a free number, shutdown, setsockopt and
 *                          close (bare: all "-1 EBADF"), and "foreign K".
 *                          Then one close(-1): a close_error record.
 *   private_fds close_all  close(-1) (a record: the log file and libunwind's
 *                          pipe exist), then close(3..1023) twice, the way
 *                          old daemons close what they inherited, then
 *                          close(-1) again.  No number in the loop was ever
 *                          the program's: not one double_close. */
#include "progs.h"

#include <dirent.h>
#include <fcntl.h>

static int mine[16], nmine;

static int made(int fd)
{
	if (fd < 0)
		die("open");
	mine[nmine++] = fd;
	return fd;
}

static void forget(int fd)
{
	for (int i = 0; i < nmine; i++)
		if (mine[i] == fd)
			mine[i] = -1;
}

static int is_mine(int fd)
{
	if (fd <= 2)
		return 1;
	for (int i = 0; i < nmine; i++)
		if (mine[i] == fd)
			return 1;
	return 0;
}

NOINLINE void first_closer(int fd)
{
	close(fd);
}

NOINLINE void second_closer(int fd)
{
	close(fd);
}

NOINLINE void bad_closer(void)
{
	close(-1);
}

/* Work that makes the shim take descriptors of its own. */
static void busy_with_sockets(void)
{
	int port, lfd = made(listen_loopback(0, &port));
	int client = made(connect_loopback(port));
	int conn = made(accept(lfd, NULL, NULL));
	int fd;

	write_all(client, "hello", 5);
	/* A graceful close of a live connection (the background's share)... */
	close(conn);
	forget(conn);
	close(client);
	forget(client);
	/* ...and a double close: a record with a backtrace. */
	fd = made(socket(AF_INET, SOCK_STREAM, 0));
	first_closer(fd);
	forget(fd);
	second_closer(fd);
}

static void report(int fd, const char *call, long r)
{
	printf("%d %s %ld %s\n", fd, call, r, r < 0 ? strerrorname_np(errno) : "-");
}

static int foreign(void)
{
	int fds[1024], n = 0, count = 0, spare;
	DIR *d;
	struct dirent *e;
	int one = 1;

	busy_with_sockets();
	d = opendir("/proc/self/fd");
	if (!d)
		die("opendir");
	while ((e = readdir(d)) && n < 1024)
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			fds[n++] = atoi(e->d_name);
	closedir(d);
	/* A number free now: the target of dup2. */
	spare = made(open("/dev/null", O_RDONLY));
	close(spare);

	for (int i = 0; i < n; i++) {
		int fd = fds[i];
		long r;

		if (is_mine(fd))
			continue;
		count++;
		r = fcntl(fd, F_GETFD);
		report(fd, "fcntl", r);
		r = dup(fd);
		report(fd, "dup", r);
		if (r >= 0)
			close((int)r); /* what it handed out is now the program's */
		r = dup2(fd, spare);
		report(fd, "dup2", r);
		if (r >= 0)
			close(spare);
		r = shutdown(fd, SHUT_RDWR);
		report(fd, "shutdown", r);
		r = setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
		report(fd, "setsockopt", r);
		/* Last: a close that wrongly succeeds would make every later
		 * call on the number fail for the right reason. */
		r = close(fd);
		report(fd, "close", r);
	}
	printf("foreign %d\n", count);
	bad_closer(); /* the log still works */
	return 0;
}

static int close_all(void)
{
	bad_closer();
	for (int round = 0; round < 2; round++)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	bad_closer();
	printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "foreign") == 0)
		return foreign();
	if (strcmp(mode, "close_all") == 0)
		return close_all();
	fprintf(stderr, "unknown mode %s\n", mode);
	return 2;
}
