/* linger_moved_number: two sockets lingering in the background
 * (SOCKSHIM_GRACEFUL=1), the second at the private number the first was
 * moved away from.
 *
 *   1. A connection A is closed while its peer is open and silent: its
 *      private copy lingers at some number P (found in /proc/self/fd by its
 *      inode).
 *   2. The program dup2()s onto P (the shim moves A's copy elsewhere) and
 *      closes P again.
 *   3. A connection B is closed the same way: its private copy takes the
 *      lowest free high number, P again.
 *   4. A's peer closes: A's lingering ends.
 *   5. B's peer closes: B's lingering should end at once too.
 *
 * Prints "A at P, moved; B at P" (or "B elsewhere": nothing shown) and
 * then "B: fd N" (the number the program closed B at), then exits; the
 * test reads B's graceful_close record (its "ms") and how long the exit
 * took (the exit waits for every lingering socket). */
#include "progs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

/* The number whose /proc/self/fd link is socket:[ino], -1 if none. */
static int number_of(ino_t ino)
{
	char want[64], path[64], link[64];
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1;

	if (!d)
		die("opendir");
	snprintf(want, sizeof want, "socket:[%lu]", (unsigned long)ino);
	while ((e = readdir(d)) != NULL && found < 0) {
		ssize_t n;

		snprintf(path, sizeof path, "/proc/self/fd/%.20s", e->d_name);
		n = readlink(path, link, sizeof link - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, want) == 0)
			found = atoi(e->d_name);
	}
	closedir(d);
	return found;
}

static ino_t inode_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		die("fstat");
	return st.st_ino;
}

int main(void)
{
	int port, lfd = listen_loopback(0, &port);
	int ca = connect_loopback(port), sa = accept(lfd, NULL, NULL);
	int cb = connect_loopback(port), sb = accept(lfd, NULL, NULL);
	ino_t ia, ib;
	int p, pb, filler;

	if (sa < 0 || sb < 0)
		die("accept");
	ia = inode_of(sa);
	ib = inode_of(sb);
	close(sa);
	usleep(20000); /* the background has looked at A and watches it */
	p = number_of(ia);
	if (p < 0) {
		printf("A not lingering\n");
		return 0;
	}
	filler = open("/dev/null", O_RDONLY);
	if (filler < 0 || dup2(filler, p) != p)
		die("dup2 onto A's number");
	close(p);
	close(filler);
	close(sb);
	usleep(20000); /* ... and at B */
	pb = number_of(ib);
	printf("A at P, moved; B %s\nB: fd %d\n", pb == p ? "at P" : "elsewhere", sb);
	fflush(stdout);
	close(ca); /* A's peer's FIN: A's lingering ends */
	usleep(50000);
	close(cb); /* B's peer's FIN: B's should end now */
	usleep(50000);
	return 0;
}
