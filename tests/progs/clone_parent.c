/* A process (mid) hands a connection to children it makes with
 * clone(CLONE_PARENT): siblings, whose parent is its own (top, the
 * client); then it closes its copy at once, not the last.  The last child
 * reads the request and answers 300 ms later (the supervisor's tests:
 * regress_supervise_fork_clone_parent).
 *
 *   clone_parent N   N children (1 or more); prints what the client got */
#include "progs.h"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static void child(int s, int i, int n)
{
	char req[10];
	struct pollfd pf = {s, POLLIN, 0};

	usleep(300000 + 100000 * i);
	if (i == n - 1) { /* the last one reads the request and answers */
		if (poll(&pf, 1, 500) == 1)
			(void)!read(s, req, sizeof req);
		if (write(s, "hello from child\n", 17) != 17)
			fprintf(stderr, "child: write: %s\n", strerror(errno));
	}
	close(s);
	_exit(0);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	int port, l = listen_loopback(0, &port), c = connect_loopback(port);
	char buf[256];
	size_t got = 0;
	ssize_t r = 0;

	write_all(c, "0123456789", 10); /* the request, unread when mid closes */
	if (fork() == 0) {
		int s = accept(l, NULL, NULL);

		if (s < 0)
			die("accept");
		close(l);
		close(c);
		for (int i = 0; i < n; i++) {
			long k = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);

			if (k < 0)
				die("clone");
			if (k == 0)
				child(s, i, n);
		}
		close(s); /* not the last: the children hold it */
		usleep(1000000);
		_exit(0);
	}
	close(l);
	while (got < sizeof buf - 1 && (r = read(c, buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	printf("client: %zu bytes (%s), then %s\n", got, got ? strtok(buf, "\n") : "",
	       r == 0 ? "EOF" : strerror(errno));
	close(c);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return 0;
}
