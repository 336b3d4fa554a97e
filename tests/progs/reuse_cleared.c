/* A program that binds a TCP socket, then clears SO_REUSEADDR and
 * SO_REUSEPORT: prints each as getsockopt sees it after the bind and after
 * the clearing, "addr A B port C D".  Under --reuseaddr/--reuseport the
 * supervisor sets them before the bind and keeps them set. */
#include "progs.h"

int main(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0), zero = 0, ra, rp;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
		die("bind");
	ra = socket_flag(fd, SO_REUSEADDR);
	rp = socket_flag(fd, SO_REUSEPORT);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &zero, sizeof zero) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &zero, sizeof zero) != 0)
		die("setsockopt");
	printf("addr %d %d port %d %d\n", ra, socket_flag(fd, SO_REUSEADDR), rp, socket_flag(fd, SO_REUSEPORT));
	close(fd);
	return 0;
}
