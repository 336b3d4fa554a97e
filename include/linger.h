/* Graceful close: the "lingering close" of nginx and Apache's event MPM,
 * for any program.  shutdown(SHUT_WR) lets queued data go out and then a
 * FIN; the receive side is read and discarded until the peer's EOF or
 * SOCKSHIM_LINGER_MS; then the socket is closed.  The peer sees a clean end
 * of stream instead of "connection reset by peer" (which the kernel sends
 * when a socket is closed with unread data). */
#ifndef SHIM_LINGER_H
#define SHIM_LINGER_H

#include <stdbool.h>
#include <stdint.h>

#include "fdtab.h"

/* How many sockets may linger in the background at once; beyond that a
 * close lingers in the program's own call (sync), since each one holds a
 * descriptor of the program's RLIMIT_NOFILE. */
#define LINGER_MAX_INFLIGHT 256

/* Whether a close of fd with this state lingers: a TCP socket, when the
 * close drops the last reference the shim knows of (made here, not dup'd,
 * not shared by fork), or any TCP socket with SOCKSHIM_GRACEFUL=always. */
bool linger_applies(uint32_t st);

/* Closes fd gracefully: returns true when it did (the close's result in
 * *ret, errno set as close(2) left it), false when the caller must close
 * plainly (the socket was not connected).  mark_closing is called just
 * before the descriptor number is freed. */
bool linger_close(int fd, uint32_t st, int *ret,
		  void (*mark_closing)(int fd, void *ctx), void *ctx);

/* Starts the background thread if it is not running (async mode): called
 * when the first socket that may linger is made, rather than inside a
 * close that may run in a signal handler. */
void linger_prepare(void);

/* In a forked child: the thread did not come along; its sockets were
 * closed with the other private descriptors. */
void linger_after_fork_child(void);

/* At exit: gives the sockets still lingering up to SOCKSHIM_LINGER_MS to
 * finish. */
void linger_wait_at_exit(void);

#endif
