/* A program whose stderr is a pipe nobody reads yet (issue 10, defect 5):
 * the shim's log, by default a copy of that stderr, must cost records, never
 * the program's progress.
 *
 *   log_pipe_full   1000 close(-1) (each a close_error record, a few hundred
 *                   bytes: far more than a 64 KiB pipe holds), "done" on
 *                   stdout, then waits for a line on stdin (the reader is
 *                   draining by then), one more close(-1), exit 0 (1 if
 *                   its stderr was made non-blocking meanwhile).
 *   log_pipe_full window
 *                   the same 1000, then 1.1 s later (under SOCKSHIM_RATE=N/1:
 *                   a new window, whose first record has the last one's
 *                   suppressed count to report, into the pipe still full)
 *                   the 1001st, "done", waits for its line, and exits
 *                   without another record: what was dropped is told at
 *                   the exit, or never. */
#include "progs.h"

#include <fcntl.h>

NOINLINE void bad_closer(void)
{
	if (close(-1) == 0 || errno != EBADF)
		die("close(-1) should fail with EBADF");
}

int main(int argc, char **argv)
{
	char line[64];
	int window = argc > 1 && strcmp(argv[1], "window") == 0;

	for (int i = 0; i < 1000; i++)
		bad_closer();
	if (window) {
		usleep(1100 * 1000);
		bad_closer();
	}
	printf("done\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		die("stdin");
	if (window)
		return 0;
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
