/* The shim's own descriptors (the log, the syslog socket, sockets lingering
 * in the background) kept out of the program's way.
 *
 * Each lives at a high, close-on-exec number in a slot of a fixed registry.
 * The program never notices them: when it closes, dup2()s or dup3()s onto
 * such a number, the shim first moves its descriptor elsewhere (privfd_evict)
 * and then lets the program's call run, so the call succeeds as the program
 * expects; close_range/closefrom are split around them.
 *
 * A user of a slot brackets its use with privfd_get/privfd_put.  Eviction
 * publishes the new number and then waits until no user holds the old one,
 * so a write can never land in a number the program has reused. */
#ifndef SHIM_PRIVFD_H
#define SHIM_PRIVFD_H

#include <stdbool.h>

#define PRIVFD_SLOTS 320 /* LINGER_MAX_INFLIGHT, and a few of the log and libunwind */

/* Takes a close-on-exec copy of fd at a high number into a new slot; the
 * caller still owns fd.  Returns the slot, or -1 (errno set). */
int privfd_adopt(int fd);

/* The same for a descriptor whose number a foreign library keeps (libunwind's
 * pipe): it can never be moved.  The program's close() of it succeeds without
 * closing it; dup2/dup3 onto it hands the number to the program and calls
 * on_lost first, so that the library stops using it. */
int privfd_adopt_pinned(int fd, void (*on_lost)(void));

/* The current number of the slot, held until privfd_put; -1 if the slot is
 * empty (then no privfd_put is needed). */
int privfd_get(int slot);
void privfd_put(int slot);

/* The current number of the slot without holding it, for poll(2) sets: a
 * stale number there only makes poll report the wrong readiness, which the
 * caller re-checks under privfd_get. */
int privfd_peek(int slot);

/* Closes the slot's descriptor and frees the slot. */
void privfd_release(int slot);

enum privfd_evicted {
	PRIVFD_NOT_PRIVATE, /* not one of the shim's numbers */
	PRIVFD_MOVED,	    /* the shim's descriptor moved away: fd is free */
	PRIVFD_PINNED,	    /* a pinned number: the shim keeps it */
};

/* If fd is one of the shim's numbers, moves the shim's descriptor to another
 * number, so that the program's call on fd can run.  A pinned number is
 * not moved, unless surrender is true (dup2 onto it): then the number is
 * given up. */
enum privfd_evicted privfd_evict(int fd, bool surrender);

/* True if fd is one of the shim's numbers. */
bool privfd_is_private(int fd);

/* The slots in use, for close_range splitting: stores up to max numbers
 * in out, sorted, and returns how many. */
int privfd_numbers(int *out, int max);

/* Closes, in a forked child, the descriptors of every slot for which keep
 * returns false (pinned ones are always kept), and frees those slots. */
void privfd_close_in_child(bool (*keep)(int slot));

#endif
