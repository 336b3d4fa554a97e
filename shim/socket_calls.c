/* Entry points that make sockets: socket, socketpair, accept, accept4.
 *
 * Each passes the call through, then records the new descriptor in the
 * table (what it is, that this process made it), and forces the configured
 * options on new inet stream sockets. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>

#include "event.h"
#include "export.h"
#include "fdtab.h"
#include "libc.h"
#include "linger.h"
#include "reuse.h"
#include "shim.h"
#include "sockshim.h"

SHIM_EXPORT int socket(int domain, int type, int protocol)
{
	int fd, saved;
	uint32_t st;

	if (shim_passthrough())
		return libc_socket(domain, type, protocol);
	fd = libc_socket(domain, type, protocol);
	if (fd < 0)
		return fd;
	saved = errno;
	st = reuse_force(fd, fdtab_socket_state(domain, type, protocol));
	fdtab_set(fd, st);
	if (shim_cfg.graceful != GRACEFUL_OFF && (st & FD_TCP))
		linger_prepare();
	event_call(SHIM_EV_SOCKET, fd, st, false);
	errno = saved;
	return fd;
}

SHIM_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	int ret, saved;
	uint32_t st;

	if (shim_passthrough())
		return libc_socketpair(domain, type, protocol, sv);
	ret = libc_socketpair(domain, type, protocol, sv);
	if (ret != 0)
		return ret;
	saved = errno;
	st = fdtab_socket_state(domain, type, protocol);
	fdtab_set(sv[0], st);
	fdtab_set(sv[1], st);
	event_call(SHIM_EV_SOCKET, sv[0], st, false);
	event_call(SHIM_EV_SOCKET, sv[1], st, false);
	errno = saved;
	return ret;
}

/* Records the connection fd accepted on listener lfd: it has the
 * listener's family and type, and this process made it. */
static void accepted(int lfd, int fd, int flags)
{
	uint32_t lst = fdtab_get(lfd);

	if (!(lst & FD_SOCKET))
		lst = fdtab_learn(lfd); /* a listener inherited from systemd/inetd */
	lst &= FD_SOCKET | FD_TCP | FD_FAMILY_MASK | FD_TYPE_MASK;
	fdtab_set(fd, lst | FD_KNOWN | FD_CREATED | (flags & SOCK_CLOEXEC ? FD_CLOSE_ON_EXEC : 0));
	if (shim_cfg.graceful != GRACEFUL_OFF && (lst & FD_TCP))
		linger_prepare();
	event_call(SHIM_EV_ACCEPT, fd, lst, true);
}

SHIM_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int cfd, saved;

	if (shim_passthrough())
		return libc_accept(fd, addr, len);
	cfd = libc_accept(fd, addr, len);
	if (cfd < 0)
		return cfd;
	saved = errno;
	accepted(fd, cfd, 0);
	errno = saved;
	return cfd;
}

SHIM_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int cfd, saved;

	if (shim_passthrough())
		return libc_accept4(fd, addr, len, flags);
	cfd = libc_accept4(fd, addr, len, flags);
	if (cfd < 0)
		return cfd;
	saved = errno;
	accepted(fd, cfd, flags);
	errno = saved;
	return cfd;
}
