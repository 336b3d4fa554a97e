/* Many connections ended at once, each with the client's bytes unread (a
 * reset, or under graceful a lingering close each): the supervisor then
 * holds a copy of every one (regress_supervise_descriptor_limit).
 *
 *   many_ends N close|exit|range
 *        raises its own descriptor limit to the hard one (as Go's runtime
 *        and many servers do), forks a client that makes N loopback
 *        connections and sends 1000 bytes on each, accepts them all, then
 *        ends them by end_all(): one close each, exit() with them all open,
 *        or one close_range.  The client, which stays open and silent,
 *        waits up to 3 s for each connection's end and prints
 *        "eof E reset R" (its exit status is the server's). */
#include "progs.h"

#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void client(int port, int n)
{
	static char unread[1000];
	int *fds = calloc((size_t)n, sizeof *fds), eof = 0, reset = 0;

	if (!fds)
		die("calloc");
	for (int i = 0; i < n; i++) {
		fds[i] = connect_loopback(port);
		write_all(fds[i], unread, sizeof unread);
	}
	for (int i = 0; i < n; i++) {
		struct pollfd p = {.fd = fds[i], .events = POLLIN};
		char c;
		ssize_t r;

		if (poll(&p, 1, 3000) != 1)
			continue; /* still open: neither */
		r = read(fds[i], &c, 1);
		if (r == 0)
			eof++;
		else if (r < 0 && errno == ECONNRESET)
			reset++;
	}
	printf("eof %d reset %d\n", eof, reset);
	exit(0);
}

NOINLINE void end_all(const int *fds, int n, const char *how)
{
	if (!strcmp(how, "exit"))
		exit(0);
	if (!strcmp(how, "range")) {
		if (syscall(SYS_close_range, (unsigned)fds[0], ~0U, 0) != 0)
			die("close_range");
		return;
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[1]) : 0, port, lfd, *fds, status;
	struct rlimit lim;
	pid_t pid;

	if (n <= 0)
		return 2;
	if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
		lim.rlim_cur = lim.rlim_max;
		setrlimit(RLIMIT_NOFILE, &lim);
	}
	lfd = listen_loopback(0, &port);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(lfd);
		client(port, n);
	}
	fds = calloc((size_t)n, sizeof *fds);
	if (!fds)
		die("calloc");
	for (int i = 0; i < n; i++) {
		struct pollfd p;

		fds[i] = accept(lfd, NULL, NULL);
		if (fds[i] < 0)
			die("accept");
		p = (struct pollfd){.fd = fds[i], .events = POLLIN};
		poll(&p, 1, 5000); /* its bytes are there */
	}
	close(lfd);
	if (!strcmp(argv[2], "exit")) {
		/* (the client prints first: it is waited for by the test) */
		end_all(fds, n, argv[2]);
	}
	end_all(fds, n, argv[2]);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
