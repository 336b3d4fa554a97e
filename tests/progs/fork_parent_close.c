/* A forking server's parent closing its copy of a connection whose
 * request its child has not read yet (the bytes unread: were this close
 * the last, it would reset), while the child still runs; and how many
 * pages of given parts of the preloaded shim's memory that close wrote:
 * a page the parent wrote since the fork is its own copy, which
 * /proc/self/pagemap says "exclusively mapped" while the child lives.
 *
 *   fork_parent_close ROUNDS OFFSET:SIZE...
 * OFFSET and SIZE (hex) as tests/progs/child_writes.c takes them.  Prints
 * "round I: the close wrote N" (N pages of the ranges), and "client I got
 * M bytes" (the child's answer: the close reset nothing).  Exit 3 when no
 * shim is loaded. */
#include "progs.h"
#include "shimpages.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	uintptr_t base = shim_base();
	int rounds = argc > 2 ? atoi(argv[1]) : 0, port, lfd, pm;
	char req[64];

	if (rounds <= 0)
		return 2;
	if (!base)
		return 3;
	memset(req, 'q', sizeof req);
	lfd = listen_loopback(0, &port);
	pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0)
		die("/proc/self/pagemap");
	for (int i = 1; i <= rounds; i++) {
		int c = connect_loopback(port), s = accept(lfd, NULL, NULL), go[2], status;
		long before, after;
		ssize_t got = 0, n;
		char buf[sizeof req];
		pid_t child;

		if (s < 0 || pipe(go) != 0)
			die("accept/pipe");
		write_all(c, req, sizeof req);
		while (recv(s, buf, 1, MSG_PEEK) != 1) /* the request is there */
			;
		fflush(stdout);
		child = fork();
		if (child < 0)
			die("fork");
		if (child == 0) {
			/* the child serves the connection once the parent has
			 * closed its copy */
			close(go[1]);
			if (read(go[0], buf, 1) != 1 || recv(s, buf, sizeof buf, MSG_WAITALL) != sizeof buf)
				_exit(1);
			write_all(s, buf, sizeof buf);
			close(s);
			_exit(0);
		}
		close(go[0]);
		before = exclusive_pages(pm, base, argc - 2, argv + 2);
		close(s); /* the child still holds it: nothing is sent */
		after = exclusive_pages(pm, base, argc - 2, argv + 2);
		printf("round %d: the close wrote %ld\n", i, after - before);
		if (write(go[1], "g", 1) != 1)
			die("write");
		close(go[1]);
		while ((n = read(c, buf, sizeof buf)) > 0)
			got += n;
		printf("client %d got %zd bytes\n", i, got);
		close(c);
		if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			return 1;
	}
	return 0;
}
