/* The seed's bug where the socket is not closed by close() in the process
 * that answers, as in forking servers:
 *
 *   seed_exit MODE PORT ANSWER_BYTES CLIENTS
 * exit:        answer, then exit(0) with the connection still open
 * fork-exit:   a child per connection answers and exits; the parent
 *              closed its copy first (PostgreSQL's postmaster)
 * fork-close:  the same, but the child close()s the connection
 * parent-last: the child answers and exits having closed nothing; the
 *              parent closes its copy after the child is gone
 * _exit:       answer, then _exit(0) with the connection still open (no
 *              destructor runs: sshd ends its connection processes so)
 * fork-_exit:  fork-exit, the child ending with _exit(0)
 * Each time the connection is closed with the rest of the request unread.
 * In the modes whose parent closes first, the child waits for that close
 * (a pipe's EOF) before its own last one: otherwise a slow parent (two
 * tests at a time on two CPUs) made its own close the last, and the
 * record rightly named parent_closes, not child_closes.
 * SEED_EXIT_PARENT_DELAY_MS=N makes the parent that slow before its close
 * (regress_seed_exit_parent_closes_first).
 */
#include "progs.h"

#include <sys/wait.h>

NOINLINE void answer(int fd, size_t answer_bytes)
{
	read_then_answer(fd, answer_bytes);
}

NOINLINE void child_closes(int fd)
{
	close(fd);
}

NOINLINE void parent_closes(int fd)
{
	close(fd);
}

int main(int argc, char **argv)
{
	const char *mode;
	size_t bytes;
	int lfd, clients;
	const char *delay = getenv("SEED_EXIT_PARENT_DELAY_MS");

	if (argc != 5)
		return 2;
	mode = argv[1];
	bytes = strtoul(argv[3], NULL, 10);
	clients = atoi(argv[4]);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_loopback(atoi(argv[2]), NULL);
	for (int i = 0; i < clients; i++) {
		int fd = accept(lfd, NULL, NULL), status;
		int parent_closed[2];
		pid_t pid;

		if (fd < 0)
			die("accept");
		if (strcmp(mode, "exit") == 0) {
			answer(fd, bytes);
			exit(0); /* the connection still open */
		}
		if (strcmp(mode, "_exit") == 0) {
			answer(fd, bytes);
			_exit(0);
		}
		if (pipe(parent_closed) < 0)
			die("pipe");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			char eof;

			close(lfd);
			close(parent_closed[1]);
			answer(fd, bytes);
			if (strcmp(mode, "parent-last") != 0 &&
			    read(parent_closed[0], &eof, 1) != 0)
				die("read of the parent's pipe");
			if (strcmp(mode, "fork-close") == 0)
				child_closes(fd);
			if (strcmp(mode, "fork-_exit") == 0)
				_exit(0);
			exit(0);
		}
		close(parent_closed[0]);
		if (delay)
			usleep(1000 * (useconds_t)atoi(delay));
		if (strcmp(mode, "parent-last") != 0)
			parent_closes(fd);
		close(parent_closed[1]);
		waitpid(pid, &status, 0);
		if (strcmp(mode, "parent-last") == 0)
			parent_closes(fd);
	}
	close(lfd);
	return 0;
}
