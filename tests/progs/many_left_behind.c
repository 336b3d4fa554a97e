/* many_left_behind N: leaves N children behind, each in a session of its
 * own waiting for a signal (as daemons do), and exits.  Each child ends at
 * SIGTERM (its default action). */
#include "progs.h"

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 800;

	for (int i = 0; i < n; i++) {
		pid_t c = fork();

		if (c < 0)
			die("fork");
		if (c == 0) {
			setsid();
			for (;;)
				pause();
		}
	}
	return 0;
}
