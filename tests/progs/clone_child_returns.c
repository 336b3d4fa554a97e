/* A child made by libc's clone() without CLONE_VM that serves one
 * connection and returns from its function (glibc then ends the thread:
 * the process, when it is the only one).  Under SOCKSHIM_GRACEFUL=1 its
 * close of a connection with the request unread lingers in the shim's
 * background thread: the parent waits for the child before it reads the
 * answer and ends its side.  Then says "child ended N".
 *
 *   clone_child_returns */
#include "progs.h"

#include <sched.h>
#include <sys/wait.h>

static int conn;

static int serve(void *arg)
{
	char line[16];

	(void)arg;
	if (read(conn, line, sizeof line) <= 0)
		die("read");
	write_all(conn, "answer\n", 7);
	close(conn); /* the rest of the request unread: lingered on */
	return 3;
}

int main(void)
{
	static char stack[256 * 1024];
	static char req[4096];
	int port, lfd = listen_loopback(0, &port), c, status;
	long pid;
	char buf[64];

	c = connect_loopback(port);
	conn = accept(lfd, NULL, NULL);
	if (conn < 0)
		die("accept");
	memset(req, 'r', sizeof req);
	write_all(c, req, sizeof req);
	pid = clone(serve, stack + sizeof stack, SIGCHLD, NULL);
	if (pid < 0)
		die("clone");
	close(conn);
	/* the child first (a lingering close of its is still waiting for
	 * this side to end, as long as SOCKSHIM_LINGER_MS lets it) */
	if (waitpid((pid_t)pid, &status, 0) != pid)
		die("waitpid");
	while (read(c, buf, sizeof buf) > 0) /* the answer, then EOF */
		;
	close(c);
	printf("child ended %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
