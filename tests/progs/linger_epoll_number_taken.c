/* linger_epoll_number_taken: the program (threaded, so that the shim's
 * background starts with its first TCP socket) dup2()s its own epoll
 * instance onto the number of the background's epoll instance while the
 * background thread is about to wait on that number (the test widens that
 * moment with strace's delay_enter).  Then a connection is closed while
 * its peer is open (it lingers), its peer closes 50 ms later, and 1 s
 * later an edge-triggered event comes in the program's instance.
 *
 * Prints "lingering: fd N" and then "program got its event" or "event
 * stolen".  Bare (no background), the dup2 goes onto a free number. */
#include "progs.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/epoll.h>

static void *nothing(void *a) { return a; }

int main(void)
{
	int E = epoll_create1(0), p[2], port, lfd, n = -1, c, s;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 0x1234};
	char path[64], link[64];
	pthread_t t;
	DIR *d;
	struct dirent *e;

	if (E < 0 || pipe(p) != 0 || epoll_ctl(E, EPOLL_CTL_ADD, p[0], &ev) != 0)
		die("setup");
	pthread_create(&t, NULL, nothing, NULL);
	pthread_join(t, NULL);
	lfd = listen_loopback(0, &port); /* a TCP socket: the background starts */
	usleep(300 * 1000);
	d = opendir("/proc/self/fd");
	while ((e = readdir(d)) != NULL) {
		int k = atoi(e->d_name);
		ssize_t len;

		snprintf(path, sizeof path, "/proc/self/fd/%.20s", e->d_name);
		len = readlink(path, link, sizeof link - 1);
		if (len > 0 && k != E && k != dirfd(d)) {
			link[len] = '\0';
			if (strcmp(link, "anon_inode:[eventpoll]") == 0)
				n = k;
		}
	}
	closedir(d);
	if (n < 0)
		n = 963; /* bare: the same dup2, onto a free number */
	if (dup2(E, n) != n)
		die("dup2");
	usleep(1500 * 1000);
	c = connect_loopback(port);
	s = accept(lfd, NULL, NULL);
	printf("lingering: fd %d\n", s);
	fflush(stdout);
	close(s); /* lingers */
	usleep(50 * 1000);
	close(c); /* its peer's FIN */
	usleep(1000 * 1000);
	write_all(p[1], "x", 1);
	usleep(100 * 1000);
	printf("%s\n", epoll_wait(n, &ev, 1, 300) == 1 ? "program got its event" : "event stolen");
	return 0;
}
