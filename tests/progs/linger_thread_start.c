/* A single-threaded program that makes TCP sockets and then enters a new
 * user namespace (issue 10, suspected defect: the shim's linger thread
 * started at socket()/accept()).  unshare(CLONE_NEWUSER) fails with EINVAL
 * in a multithreaded process, so a thread the shim starts before any close
 * needs it breaks such a program.
 *
 *   linger_thread_start   socket(), a connection to itself and accept(),
 *                         prints "threads N" (from /proc/self/status) and
 *                         "unshare R ERRNO", then closes the sockets. */
#include "progs.h"

#include <sched.h>

static int threads(void)
{
	char line[256];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		die("/proc/self/status");
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

int main(void)
{
	int port, lfd = listen_loopback(0, &port);
	int client = connect_loopback(port);
	int conn = accept(lfd, NULL, NULL);
	int r;

	if (conn < 0)
		die("accept");
	printf("threads %d\n", threads());
	r = unshare(CLONE_NEWUSER);
	printf("unshare %d %s\n", r, r < 0 ? strerrorname_np(errno) : "-");
	fflush(stdout);
	/* Graceful closes: the background may start now. */
	close(conn);
	close(client);
	close(lfd);
	return 0;
}
