/* A program that tells its parent it is ready the old way,
 * kill(getppid(), SIGUSR1) (Xorg does, for xinit), with SIGUSR1's default
 * action (death) for itself; then says "alive" and exits 0. */
#include "progs.h"

int main(void)
{
	if (kill(getppid(), SIGUSR1) != 0)
		die("kill");
	usleep(300 * 1000); /* time for a signal passed back to arrive */
	printf("alive\n");
	return 0;
}
