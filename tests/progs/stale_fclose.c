/* A number that held a socket, closed and opened again as a file: the
 * stream on it is read a little, then fclose()d; a dup of the number
 * shares the file offset.  Prints that offset after the fclose: bare,
 * where the stream's read left it (glibc's fclose does not seek an input
 * stream back), so the length of the file, which is shorter than a
 * buffer.  Usage: stale_fclose FILE */
#include "progs.h"

#include <fcntl.h>

int main(int argc, char **argv)
{
	int s, fd, keep;
	FILE *f;

	if (argc < 2)
		die("usage: stale_fclose FILE");
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		die("socket");
	if (close(s) != 0)
		die("close");
	fd = open(argv[1], O_RDONLY);
	if (fd != s)
		die("the file did not get the socket's number");
	keep = dup(fd);
	if (keep < 0)
		die("dup");
	f = fdopen(fd, "r");
	if (!f)
		die("fdopen");
	if (fgetc(f) == EOF)
		die("fgetc");
	if (fclose(f) != 0)
		die("fclose");
	printf("%ld\n", (long)lseek(keep, 0, SEEK_CUR));
	return 0;
}
