/* Graceful close: the "lingering close" of nginx and Apache's event MPM,
 * for any program.  shutdown(SHUT_WR) lets queued data go out and then a
 * FIN; the receive side is read and discarded until the peer's EOF or
 * SOCKSHIM_LINGER_MS; then the socket is closed.  The peer sees a clean end
 * of stream instead of "connection reset by peer" (which the kernel sends
 * when a socket is closed with unread data).
 *
 * This module decides and does the lingering; it never closes the
 * program's number: the caller does that (close_path.c), whatever the
 * outcome. */
#ifndef SHIM_LINGER_H
#define SHIM_LINGER_H

#include <stdbool.h>
#include <stdint.h>

struct call;

/* How many sockets may linger in the background at once, at most: each
 * holds a descriptor, and the background never holds more than a quarter
 * of RLIMIT_NOFILE (the program's own must not run out for the shim's
 * sake). */
#define LINGER_MAX_INFLIGHT 65536

enum linger_outcome {
	LINGER_NOT_CONNECTED, /* a listener, never connected, or reset: close as usual */
	LINGER_FOREIGN,	      /* not the socket the shim saw made: leave it alone */
	LINGER_DONE,	      /* lingered already (sync mode, or the peer was done) */
	LINGER_HANDED,	      /* a private copy lingers in the background */
	LINGER_SKIPPED,	      /* the background could not take it: a graceful_skipped
				 record says why */
};

/* Whether a lingering that began at start (ms) and hit linger_ms ended with
 * the peer still sending (graceful_timeout): bytes came (last at
 * last_data; 0: never) in the second half of the wait.  A peer that read
 * the FIN and stayed open and silent (an idle client of a server that
 * drops it) is no error: the end of its wait is a graceful_close
 * (regress_graceful_idle_peer).  The supervisor's lingering too. */
static inline bool linger_peer_sending(int64_t start, int64_t last_data, int linger_ms)
{
	return last_data != 0 && last_data >= start + linger_ms / 2;
}

/* Before the program's close of TCP socket fd (state st): lingers on it,
 * or hands a private copy of it to the background.  c: the close's call,
 * for its backtrace. */
enum linger_outcome linger_take(int fd, uint32_t st, struct call *c);

/* Starts the background thread now (raw mode, at load: its closes come in
 * a signal handler, where no thread can be started). */
void linger_prepare(void);

/* In a forked child: the thread did not come along; its sockets were
 * closed with the other private descriptors. */
void linger_after_fork_child(void);

/* At exit: gives the sockets still lingering up to SOCKSHIM_LINGER_MS to
 * finish. */
void linger_wait_at_exit(void);

/* Whether this process runs the shim's background thread. */
bool linger_thread_running(void);

#endif
