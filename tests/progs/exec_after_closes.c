/* What a program that execs (a daemon re-executing itself to reload, a
 * wrapper) leaves in the shim's hands at the exec.
 *
 *   exec_after_closes counts N PROG [ARG...]
 *       N double closes (each a double_close record), then execv PROG; if
 *       that fails, prints "exec failed: ERRNO-NAME", makes N more and
 *       exits 0.
 *   exec_after_closes linger PORT ANSWER_BYTES PROG [ARG...]
 *       serves one client: reads the first part of its request, answers
 *       ANSWER_BYTES, closes with the rest unread (a reset, or under
 *       SOCKSHIM_GRACEFUL=1 a close lingering in the background), and
 *       execs PROG at once. */
#include "progs.h"

#include <fcntl.h>

NOINLINE void double_close(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0)
		die("open");
	close(fd);
	close(fd); /* EBADF: a double close */
}

static void closes(long n)
{
	for (long i = 0; i < n; i++)
		double_close();
}

int main(int argc, char **argv)
{
	if (argc >= 4 && strcmp(argv[1], "counts") == 0) {
		long n = atol(argv[2]);

		closes(n);
		execv(argv[3], argv + 3);
		printf("exec failed: %s\n", errno == ENOENT ? "ENOENT" : strerror(errno));
		fflush(stdout);
		closes(n);
		return 0;
	}
	if (argc >= 5 && strcmp(argv[1], "linger") == 0) {
		int lfd = listen_loopback(atoi(argv[2]), NULL), fd;

		signal(SIGPIPE, SIG_IGN);
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			die("accept");
		read_then_answer(fd, strtoul(argv[3], NULL, 10));
		close(fd);
		execv(argv[4], argv + 4);
		die("execv");
	}
	fprintf(stderr, "usage: exec_after_closes counts N PROG... | linger PORT ANSWER_BYTES PROG...\n");
	return 2;
}
