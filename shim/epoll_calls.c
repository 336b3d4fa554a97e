/* Entry points epoll_create, epoll_create1: the program's epoll instances
 * are noted (epollset.h), so that a socket lingering in the background can
 * be taken out of them when the program closes it. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/epoll.h>

#include "calls.h"
#include "epollset.h"
#include "export.h"
#include "libc.h"
#include "shim.h"

int calls_epoll_created(int epfd)
{
	if (epfd >= 0 && !shim_passthrough()) {
		int saved = errno;

		epollset_note(epfd);
		errno = saved;
	}
	return epfd;
}

SHIM_EXPORT int epoll_create(int size)
{
	return calls_epoll_created(libc_epoll_create(size));
}

SHIM_EXPORT int epoll_create1(int flags)
{
	return calls_epoll_created(libc_epoll_create1(flags));
}
