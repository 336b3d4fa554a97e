/* The seed's bug in a legacy C server that talks through stdio: each
 * connection's first line is read, then the connection becomes a stream
 * (fdopen(sock, "w")) that the large answer is written to with fwrite, and
 * the stream is ended with the rest of the request unread.  glibc closes the socket inside the
 * stream's code, with no call to close().
 *
 *   seed_stdio MODE PORT ANSWER_BYTES CLIENTS
 * MODE: fclose (the stream is closed), freopen (the stream is reopened on
 * /dev/null, which closes the socket, and closed later). */
#include "progs.h"

NOINLINE void answer_and_fclose(int fd, size_t answer_bytes, const char *mode)
{
	static char chunk[65536];
	char line[128];
	FILE *f;

	if (read(fd, line, sizeof line) <= 0) /* "the first line" (and no more) */
		die("read");
	f = fdopen(fd, "w");
	if (!f)
		die("fdopen");
	memset(chunk, 'a', sizeof chunk);
	while (answer_bytes > 0) {
		size_t len = answer_bytes < sizeof chunk ? answer_bytes : sizeof chunk;

		if (fwrite(chunk, 1, len, f) != len)
			die("fwrite");
		answer_bytes -= len;
	}
	if (strcmp(mode, "freopen") == 0) {
		if (!freopen("/dev/null", "w", f))
			die("freopen");
		fputs("nothing", f);
	}
	if (fclose(f) != 0)
		die("fclose");
}

int main(int argc, char **argv)
{
	int lfd, clients;
	size_t answer;

	if (argc != 5)
		return 2;
	answer = strtoul(argv[3], NULL, 10);
	clients = atoi(argv[4]);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_loopback(atoi(argv[2]), NULL);
	for (int i = 0; i < clients; i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			die("accept");
		answer_and_fclose(fd, answer, argv[1]);
	}
	close(lfd);
	return 0;
}
