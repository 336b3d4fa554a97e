/* Connects N times to a peer at 127.0.0.1:PORT that holds its ends open
 * and silent, closes one connection every GAP ms, and exits right after
 * the last close: under graceful close the supervisor then lingers on the
 * last ones at its exit, each till its own deadline (regress_supervise_
 * linger_finish_idle).
 *
 *   staggered_closes PORT N GAP_MS */
#include "progs.h"

#include <time.h>

int main(int argc, char **argv)
{
	int fds[64], n, gap;

	if (argc != 4)
		die("usage: staggered_closes PORT N GAP_MS");
	n = atoi(argv[2]);
	gap = atoi(argv[3]);
	if (n < 1 || n > 64)
		die("N: 1 to 64");
	for (int i = 0; i < n; i++)
		fds[i] = connect_loopback(atoi(argv[1]));
	for (int i = 0; i < n; i++) {
		struct timespec t = {gap / 1000, gap % 1000 * 1000000L};

		close(fds[i]);
		if (i < n - 1)
			nanosleep(&t, NULL);
	}
	return 0;
}
