/* Sockets whose SO_PROTOCOL is 6 (IPPROTO_TCP) but which are not TCP
 * streams: a raw inet socket of protocol IPPROTO_TCP (bound, its
 * SO_REUSEADDR cleared by the program and read back), a raw inet6 one,
 * and a NETLINK_XFRM socket; each closed.  Prints "SO_REUSEADDR now N"
 * and exits 77 when raw sockets cannot be made here (no CAP_NET_RAW). */
#include "progs.h"

#include <linux/netlink.h>

int main(void)
{
	int s = socket(AF_INET, SOCK_RAW, IPPROTO_TCP), zero = 0, v = -1;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof v;

	if (s < 0)
		return 77;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof a) != 0)
		die("bind");
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &zero, sizeof zero) != 0)
		die("setsockopt");
	getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &len);
	printf("SO_REUSEADDR now %d\n", v);
	close(s);
	s = socket(AF_INET6, SOCK_RAW, IPPROTO_TCP);
	if (s >= 0)
		close(s);
	s = socket(AF_NETLINK, SOCK_RAW, NETLINK_XFRM);
	if (s >= 0)
		close(s);
	return 0;
}
