/* A program whose stderr is a pipe nobody reads yet (issue 10, defect 5):
 * the shim's log, by default a copy of that stderr, must cost records, never
 * the program's progress.
 *
 *   log_pipe_full   1000 close(-1) (each a close_error record, a few hundred
 *                   bytes: far more than a 64 KiB pipe holds), "done" on
 *                   stdout, then waits for a line on stdin (the reader is
 *                   draining by then), one more close(-1), exit 0 (1 if
 *                   its stderr was made non-blocking meanwhile). */
#include "progs.h"

#include <fcntl.h>

NOINLINE void bad_closer(void)
{
	if (close(-1) == 0 || errno != EBADF)
		die("close(-1) should fail with EBADF");
}

int main(void)
{
	char line[64];

	for (int i = 0; i < 1000; i++)
		bad_closer();
	printf("done\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		die("stdin");
	/* The first record after the pipe has room again: the one that can
	 * say how many were lost. */
	bad_closer();
	/* The shim's copy shares the open file with fd 2: not blocking on it
	 * must not make the program's own stderr non-blocking. */
	if (fcntl(STDERR_FILENO, F_GETFL) & O_NONBLOCK) {
		printf("fd 2 became O_NONBLOCK\n");
		return 1;
	}
	return 0;
}
