/* Writes "hello" to descriptor argv[1] after 100 ms, then exits. */
#include "progs.h"

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	usleep(100000);
	write_all(atoi(argv[1]), "hello", 5);
	return 0;
}
