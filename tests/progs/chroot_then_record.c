/* A daemon that confines itself before it has anything to log: chroot
 * into DIR (and chdir there), then a record (close of a number never
 * open), then "done".
 *
 *   chroot_then_record DIR */
#include "progs.h"

NOINLINE void bad_close(void)
{
	close(-1);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	if (chroot(argv[1]) != 0 || chdir("/") != 0)
		die("chroot");
	bad_close();
	printf("done\n");
	return 0;
}
