/* Prints the sockshim variables and LD_PRELOAD as this program sees them,
 * then exits with the status given as its argument. */
#include "progs.h"

extern char **environ;

int main(int argc, char **argv)
{
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "SOCKSHIM_", 9) == 0 || strncmp(*e, "LD_PRELOAD=", 11) == 0)
			printf("%s\n", *e);
	return argc > 1 ? atoi(argv[1]) : 0;
}
