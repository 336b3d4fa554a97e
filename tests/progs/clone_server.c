/* A server that makes each connection's process without fork(), as
 * vsftpd does (isolate=YES: syscall(SYS_clone, CLONE_NEW... | SIGCHLD)):
 * the child waits 100 ms, reads the request (the whole of it, up to 128
 * bytes), answers ANSWER_BYTES, closes and _exits; the parent closes its
 * copy at once.  _Fork: glibc's fork without fork()'s handlers (2.34).
 *
 *   clone_server fork|sysfork|sysclone|clonefn|_Fork PORT ANSWER_BYTES CLIENTS
 * Serves CLIENTS clients, waits for its children, exits 0. */
#include "progs.h"

#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int conn;
static size_t answer;

static int serve(void *arg)
{
	(void)arg;
	usleep(100 * 1000); /* the parent's close first */
	read_then_answer(conn, answer);
	close(conn);
	_exit(0);
}

int main(int argc, char **argv)
{
	static char stack[256 * 1024];
	int lfd, clients;

	if (argc != 5)
		return 2;
	answer = strtoul(argv[3], NULL, 10);
	clients = atoi(argv[4]);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_loopback(atoi(argv[2]), NULL);
	for (int i = 0; i < clients; i++) {
		long pid;

		conn = accept(lfd, NULL, NULL);
		if (conn < 0)
			die("accept");
		if (strcmp(argv[1], "fork") == 0)
			pid = fork();
		else if (strcmp(argv[1], "sysfork") == 0)
			pid = syscall(SYS_fork);
		else if (strcmp(argv[1], "sysclone") == 0)
			pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
		else if (strcmp(argv[1], "_Fork") == 0)
			pid = _Fork();
		else
			pid = clone(serve, stack + sizeof stack, SIGCHLD, NULL);
		if (pid < 0)
			die("clone");
		if (pid == 0)
			serve(NULL);
		close(conn);
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
