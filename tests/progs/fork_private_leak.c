/* regress_fork_private_leak: sockets lingering in the background time out
 * (their private copies released) while the program forks: no child may
 * ever hold one of the background's copies (a prefork worker would keep
 * the connection for its lifetime).  From the review of issue 10. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#define N 200
static int child_check(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		struct stat st;
		int fd = atoi(e->d_name);
		if (fd >= 900 && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
			n++;
	}
	return n;
}
int main(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	int l = socket(AF_INET, SOCK_STREAM, 0), peers[N], leaks = 0, forks = 0;
	signal(SIGPIPE, SIG_IGN);
	bind(l, (void *)&sa, sizeof sa); listen(l, N); getsockname(l, (void *)&sa, &len);
	for (int round = 0; round < 6; round++) {
		for (int i = 0; i < N; i++) {
			peers[i] = socket(AF_INET, SOCK_STREAM, 0);
			connect(peers[i], (void *)&sa, sizeof sa);
			int c = accept(l, NULL, NULL);
			write(peers[i], "unread", 6);
			close(c); /* lingers: the peer never closes */
		}
		/* the 400 deadlines expire together, ~300 ms from now: fork meanwhile */
		for (int k = 0; k < 400; k++) {
			int p[2]; pipe(p);
			pid_t pid = fork();
			if (pid == 0) { int n = child_check(); write(p[1], &n, sizeof n); _exit(0); }
			int n = 0; read(p[0], &n, sizeof n); close(p[0]); close(p[1]);
			waitpid(pid, NULL, 0);
			forks++;
			if (n) leaks++;
		}
		for (int i = 0; i < N; i++) close(peers[i]);
	}
	printf("%d forks, %d children held a lingering socket of the parent's background\n", forks, leaks);
	return 0;
}
