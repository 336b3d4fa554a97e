/* Programs whose stderr is not an ordinary place for the shim's records.
 *
 *   stderr_not_reopened filter   a filter run with 2<&0 (stderr is its input
 *                                pipe, open for reading only): once its input
 *                                is there, it fails a call of its own
 *                                (close(-1): a close_error record under the
 *                                shim), then copies its input to stdout,
 *                                "input: " before each read, until EOF
 *   stderr_not_reopened line     writes "program line\n" to stderr, then
 *                                close(-1) (run with stderr a pty master:
 *                                both belong on the pty's other end) */
#include "progs.h"

#include <poll.h>

NOINLINE void bad_closer(void)
{
	close(-1);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (strcmp(mode, "filter") == 0) {
		struct pollfd p = {.fd = 0, .events = POLLIN};
		char buf[4096];
		ssize_t n;

		poll(&p, 1, -1); /* the producer has written */
		bad_closer();
		while ((n = read(0, buf, sizeof buf)) > 0) {
			write_all(1, "input: ", 7);
			write_all(1, buf, (size_t)n);
		}
		return n < 0 ? 1 : 0;
	}
	if (strcmp(mode, "line") == 0) {
		write_all(2, "program line\n", 13);
		bad_closer();
		return 0;
	}
	fprintf(stderr, "usage: stderr_not_reopened filter|line\n");
	return 2;
}
