/* The seed's bug in a server that runs a helper program for each client
 * (posix_spawn, as system() does) before answering: the helper's copy of
 * the connection (close-on-exec) is closed by its exec, so the server's
 * close is the last one.
 *
 *   spawn_server PORT ANSWER_BYTES CLIENTS HELPER */
#include "progs.h"

#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

NOINLINE void spawn_answer_close(int fd, size_t answer_bytes, const char *helper)
{
	static char chunk[65536];
	char line[128];
	char *argv[] = {(char *)helper, NULL};
	pid_t pid;
	int status;

	if (read(fd, line, sizeof line) <= 0)
		die("read");
	if (posix_spawn(&pid, helper, NULL, NULL, argv, environ) != 0)
		die("posix_spawn");
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("helper");
	memset(chunk, 'a', sizeof chunk);
	while (answer_bytes > 0) {
		size_t len = answer_bytes < sizeof chunk ? answer_bytes : sizeof chunk;

		write_all(fd, chunk, len);
		answer_bytes -= len;
	}
	close(fd);
}

int main(int argc, char **argv)
{
	int lfd;

	if (argc != 5)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_loopback(atoi(argv[1]), NULL);
	for (int i = 0; i < atoi(argv[3]); i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			die("accept");
		spawn_answer_close(fd, strtoul(argv[2], NULL, 10), argv[4]);
	}
	close(lfd);
	return 0;
}
