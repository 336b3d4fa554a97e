/* The seed's bug without a close: answers one client with request bytes
 * unread and exits, leaving the kernel to close the connection (which it
 * resets).  Under the supervisor the exit's closes are seen too.
 *
 *   exit_server PORT ANSWER_BYTES */
#include "progs.h"

NOINLINE void answer_and_exit(int fd, size_t answer_bytes)
{
	read_then_answer(fd, answer_bytes);
	exit(0); /* no close */
}

int main(int argc, char **argv)
{
	int lfd, fd;

	if (argc != 3)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_loopback(atoi(argv[1]), NULL);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	answer_and_exit(fd, strtoul(argv[2], NULL, 10));
	return 0;
}
