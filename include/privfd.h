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
#ifndef SOCKSHIM_PRIVFD_H
#define SOCKSHIM_PRIVFD_H

#include <stdbool.h>

#define PRIVFD_SLOTS 320

/* Takes a close-on-exec copy of fd at a high number into a new slot; the
 * caller still owns fd.  Returns the slot, or -1 (errno set). */
int privfd_adopt(int fd);

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

/* Frees every slot without closing anything, and forgets them: the exec'd
 * or forked image starts over (used in a forked child after it closed what
 * it must). */
void privfd_forget_all(void);

/* If fd is one of the shim's numbers, moves the shim's descriptor to
 * another number and returns true; the program may then use fd freely. */
bool privfd_evict(int fd);

/* True if fd is one of the shim's numbers. */
bool privfd_is_private(int fd);

/* The slots in use, for close_range splitting: stores up to max numbers
 * in out, sorted, and returns how many. */
int privfd_numbers(int *out, int max);

/* Closes, in a forked child, the descriptors of every slot for which keep
 * returns false, and frees those slots. */
void privfd_close_in_child(bool (*keep)(int slot));

#endif
