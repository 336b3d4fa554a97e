/* Entry points that make sockets: socket, socketpair, accept, accept4.
 *
 * Each passes the call through, then records the new descriptor in the
 * table (what it is, that this process made it), and forces the configured
 * options on new inet stream sockets. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/single_threaded.h>
#include <sys/socket.h>

#include "call.h"
#include "calls.h"
#include "event.h"
#include "export.h"
#include "fdtab.h"
#include "libc.h"
#include "linger.h"
#include "reuse.h"
#include "shim.h"
#include "sockshim.h"
#include "sys.h"

/* Whether a new socket of state st needs more than its table entry: an
 * option forced, a record, or graceful close's preparations. */
static bool socket_needs_work(uint32_t st)
{
	return event_wanted(&shim_cfg, EVENTS_ALL) ||
	       (fd_is_inet_stream(st) && (shim_cfg.reuseaddr || shim_cfg.reuseport)) ||
	       ((st & FD_TCP) && shim_cfg.graceful != GRACEFUL_OFF);
}

/* In a process that already runs threads, a TCP socket that may linger
 * starts the background thread now, in a call that signal handlers do not
 * make, rather than at its close, which they may (pthread_create allocates).
 * A single-threaded process gets the thread only at its first lingering
 * close: a single-threaded program may rely on staying so (unshare). */
static void prepare_linger(uint32_t st)
{
	if ((st & FD_TCP) && shim_cfg.graceful != GRACEFUL_OFF &&
	    shim_cfg.linger_mode == LINGER_ASYNC && !__libc_single_threaded)
		linger_prepare();
}

/* A TCP socket that graceful close may later shut down: its SO_COOKIE
 * (never reused while the system runs) lets the close make sure it acts on
 * this very socket. */
static void note_identity(int fd, uint32_t st)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof cookie;

	if (shim_cfg.graceful != GRACEFUL_OFF && (st & FD_TCP) &&
	    sys_getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len) == 0)
		fdtab_set_cookie(fd, cookie);
}

SHIM_EXPORT int socket(int domain, int type, int protocol)
{
	int fd;

	if (shim_passthrough())
		return libc_socket(domain, type, protocol);
	fd = libc_socket(domain, type, protocol);
	if (fd >= 0)
		calls_socket_made(fd, domain, type, protocol);
	return fd;
}

void calls_socket_made(int fd, int domain, int type, int protocol)
{
	int saved;
	uint32_t st;
	struct call c;

	/* Nothing will read the table (config.h), and every page written
	 * after a fork is a copy-on-write fault: a forking server's every
	 * connection. */
	if (shim_cfg.closes_untracked)
		return;
	saved = errno;
	st = fdtab_socket_state(domain, type, protocol);
	fdtab_set(fd, st);
	if (socket_needs_work(st)) {
		call_enter(&c);
		reuse_force(fd, st);
		note_identity(fd, st);
		prepare_linger(st);
		event_call(SHIM_EV_SOCKET, fd, st, false);
		call_leave(&c);
	}
	errno = saved;
}

SHIM_EXPORT int socketpair(int domain, int type, int protocol, int sv[2])
{
	int ret;

	if (shim_passthrough())
		return libc_socketpair(domain, type, protocol, sv);
	ret = libc_socketpair(domain, type, protocol, sv);
	if (ret == 0)
		calls_socketpair_made(sv, domain, type, protocol);
	return ret;
}

void calls_socketpair_made(const int sv[2], int domain, int type, int protocol)
{
	int saved;
	uint32_t st;
	struct call c;

	if (shim_cfg.closes_untracked)
		return; /* nothing will read the table (config.h) */
	saved = errno;
	st = fdtab_socket_state(domain, type, protocol);
	fdtab_set(sv[0], st);
	fdtab_set(sv[1], st);
	call_enter(&c);
	event_call(SHIM_EV_SOCKET, sv[0], st, false);
	event_call(SHIM_EV_SOCKET, sv[1], st, false);
	call_leave(&c);
	errno = saved;
}

/* Records the connection fd accepted on listener lfd: it has the
 * listener's family and type, and this process made it. */
void calls_accepted(int lfd, int fd, int flags)
{
	uint32_t lst;
	struct call c;
	int saved = errno;

	if (shim_cfg.closes_untracked)
		return; /* nothing will read the table (config.h) */
	lst = fdtab_get(lfd);
	call_enter(&c);
	if (!(lst & FD_SOCKET))
		lst = fdtab_learn(lfd); /* a listener inherited from systemd/inetd */
	lst &= FD_SOCKET | FD_TCP | FD_FAMILY_MASK | FD_TYPE_MASK;
	fdtab_set(fd, lst | FD_CREATED | (flags & SOCK_CLOEXEC ? FD_CLOSE_ON_EXEC : 0));
	note_identity(fd, lst);
	prepare_linger(lst);
	event_call(SHIM_EV_ACCEPT, fd, lst, true);
	call_leave(&c);
	errno = saved;
}

SHIM_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int cfd;

	if (shim_passthrough())
		return libc_accept(fd, addr, len);
	if (shim_refuses(fd))
		return -1;
	cfd = libc_accept(fd, addr, len);
	if (cfd >= 0)
		calls_accepted(fd, cfd, 0);
	return cfd;
}

SHIM_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int cfd;

	if (shim_passthrough())
		return libc_accept4(fd, addr, len, flags);
	if (shim_refuses(fd))
		return -1;
	cfd = libc_accept4(fd, addr, len, flags);
	if (cfd >= 0)
		calls_accepted(fd, cfd, flags);
	return cfd;
}
