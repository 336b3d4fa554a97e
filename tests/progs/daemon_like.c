/* A daemon-like program that closes what it did not open, the way old
 * daemons do, then keeps working:
 *
 *   daemon_like loop FILE         close(3..1023), /dev/null over 0, 1, 2
 *   daemon_like close_range FILE  close_range(3, ~0U), /dev/null over 0, 1, 2
 *   daemon_like closefrom FILE    closefrom(3), /dev/null over 0, 1, 2
 *   daemon_like dup2_all FILE     dup2(/dev/null) over 3..1023 then closes them
 *   daemon_like reuse2 FILE       close(2) only; FILE gets number 2
 *
 * Then it writes "data" into FILE (opened after the closing), causes a
 * double close (first_closer, second_closer) and exits 0. */
#include "progs.h"

#include <fcntl.h>
#include <linux/close_range.h>

NOINLINE void first_closer(int fd)
{
	close(fd);
}

NOINLINE void second_closer(int fd)
{
	close(fd);
}

static void null_over_std(void)
{
	int fd = open("/dev/null", O_RDWR);

	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
}

int main(int argc, char **argv)
{
	const char *mode = argv[1];
	int fd, s;

	if (argc != 3)
		return 2;
	if (strcmp(mode, "loop") == 0) {
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		null_over_std();
	} else if (strcmp(mode, "close_range") == 0) {
		if (close_range(3, ~0U, 0) != 0)
			return 3;
		null_over_std();
	} else if (strcmp(mode, "closefrom") == 0) {
		closefrom(3);
		null_over_std();
	} else if (strcmp(mode, "dup2_all") == 0) {
		int null = open("/dev/null", O_RDONLY);

		for (fd = 3; fd < 1024; fd++)
			if (fd != null && dup2(null, fd) != fd)
				return 3;
		for (fd = 3; fd < 1024; fd++)
			close(fd);
	} else if (strcmp(mode, "reuse2") == 0) {
		close(2);
	} else {
		return 2;
	}
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return 4;
	if (strcmp(mode, "reuse2") == 0 && fd != 2)
		return 5;
	write_all(fd, "data\n", 5);
	s = socket(AF_INET, SOCK_STREAM, 0);
	first_closer(s);
	second_closer(s);
	write_all(fd, "more\n", 5);
	close(fd);
	return 0;
}
