/* A port freed by a close, taken again at once (the supervisor's tests:
 * regress_supervise_rebind_after_close).
 *
 *   rebind bind N     N rounds: bind a TCP socket to a free port, close
 *                     it, bind a new one to that port (the "find a free
 *                     port" pattern)
 *   rebind listen N   N rounds: a listener (SO_REUSEADDR) closed and
 *                     made again on its port (a server that reloads)
 *
 * Prints "failed F of N"; bare, F is 0. */
#include "progs.h"

#include <stdbool.h>

static int bound(struct sockaddr_in *a, bool listening)
{
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

	if (s < 0)
		die("socket");
	if (listening)
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s, (struct sockaddr *)a, sizeof *a) != 0 || (listening && listen(s, 8) != 0)) {
		int err = errno;

		close(s);
		errno = err;
		return -1;
	}
	return s;
}

int main(int argc, char **argv)
{
	bool listening = argc == 3 && !strcmp(argv[1], "listen");
	int rounds = argc == 3 ? atoi(argv[2]) : 0, failed = 0;

	if (argc != 3 || (!listening && strcmp(argv[1], "bind"))) {
		fprintf(stderr, "usage: rebind bind|listen N\n");
		return 2;
	}
	for (int i = 0; i < rounds; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t len = sizeof a;
		int s = bound(&a, listening);

		if (s < 0 || getsockname(s, (struct sockaddr *)&a, &len) != 0)
			die("bind to a free port");
		close(s);
		s = bound(&a, listening);
		if (s < 0) {
			if (failed++ < 3)
				fprintf(stderr, "round %d: port %d again: %s\n", i, ntohs(a.sin_port),
					strerror(errno));
			continue;
		}
		close(s);
	}
	printf("failed %d of %d\n", failed, rounds);
	return 0;
}
