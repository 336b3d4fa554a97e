/* Prints SO_REUSEADDR and SO_REUSEPORT as getsockopt sees them on sockets of
 * each kind, right after socket() and after the program clears them. */
#include "progs.h"

static void show(const char *kind, int domain, int type, int protocol)
{
	int fd = socket(domain, type, protocol), zero = 0;

	if (fd < 0)
		die(kind);
	printf("%s new addr=%d port=%d\n", kind, socket_flag(fd, SO_REUSEADDR), socket_flag(fd, SO_REUSEPORT));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &zero, sizeof zero) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &zero, sizeof zero) != 0)
		die("setsockopt");
	printf("%s cleared addr=%d port=%d\n", kind, socket_flag(fd, SO_REUSEADDR), socket_flag(fd, SO_REUSEPORT));
	close(fd);
}

int main(void)
{
	show("tcp4", AF_INET, SOCK_STREAM, 0);
	show("tcp4-nonblock-cloexec", AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	show("tcp6", AF_INET6, SOCK_STREAM, IPPROTO_TCP);
	show("udp4", AF_INET, SOCK_DGRAM, 0);
	show("udp6", AF_INET6, SOCK_DGRAM, 0);
	show("unix-stream", AF_UNIX, SOCK_STREAM, 0);
	show("unix-dgram", AF_UNIX, SOCK_DGRAM, 0);
	return 0;
}
