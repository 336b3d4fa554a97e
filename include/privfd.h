/* The shim's own descriptors (the log, the syslog socket, libunwind's pipe,
 * the linger thread's wake pipe, sockets lingering in the background) kept
 * out of the program's way.
 *
 * Each lives at a high, close-on-exec number in a slot of a registry.  To
 * the program such a number is one it never opened: every interposed call
 * that names it fails with EBADF, as it would bare (privfd_is_private).
 * Only a dup2()/dup3() onto it — which bare would succeed on a free number
 * — makes the shim move its descriptor elsewhere first (privfd_evict).
 *
 * A user of a slot brackets its use with privfd_get/privfd_put.  Eviction
 * publishes the new number and then waits until no user holds the old one,
 * so a write can never land in a number the program has reused. */
#ifndef SHIM_PRIVFD_H
#define SHIM_PRIVFD_H

#include <stdbool.h>

/* Room for the log, libunwind's pipe, the wake pipe, and the background's
 * lingering sockets (linger.h bounds those further by RLIMIT_NOFILE). */
#define PRIVFD_SLOTS (65536 + 64)

/* Takes a close-on-exec copy of fd at a high number into a new slot; the
 * caller still owns fd.  Returns the slot, or -1 (errno set). */
int privfd_adopt(int fd);

/* The same for a descriptor whose number a foreign library keeps (libunwind's
 * pipe): it can never be moved.  dup2/dup3 onto it hands the number to the
 * program and calls on_lost first, so that the library stops using it. */
int privfd_adopt_pinned(int fd, void (*on_lost)(void));

/* The same for the one descriptor whose number a thread of the shim blocks
 * on without holding the slot (the background's epoll instance, with no
 * timeout when idle: a hold would keep an eviction waiting).  That thread
 * notes the number it is about to wait on, then reads the slot again
 * (privfd_peek) and waits only if it is unchanged; an eviction publishes
 * the new number and then calls moving(old), which must return only once
 * no thread waits on old (a thread that noted old may be about to).  Async-
 * signal-safe: dup2 may be called in a handler.  Forgotten at the slot's
 * release and in a forked child. */
int privfd_adopt_waking(int fd, void (*moving)(int old));

/* The current number of the slot, held until privfd_put; -1 if the slot is
 * empty (then no privfd_put is needed). */
int privfd_get(int slot);
void privfd_put(int slot);

/* The current number of the slot without holding it, for poll(2) sets: a
 * stale number there only makes poll report the wrong readiness, which the
 * caller re-checks under privfd_get.  Not alone for a call that takes
 * something from the descriptor (epoll_wait consumes the events of
 * whatever instance the program put at a stale number): see
 * privfd_adopt_waking. */
int privfd_peek(int slot);

/* Closes the slot's descriptor and frees the slot: the one place where the
 * shim closes a descriptor of its own. */
void privfd_release(int slot);

/* True if fd is one of the shim's numbers. */
bool privfd_is_private(int fd);

/* Before the program's dup2/dup3 onto fd: if fd is one of the shim's
 * numbers, moves the shim's descriptor to another number (a pinned one is
 * given up), so that the program's call runs on a free number as bare.
 * Returns true if it did. */
bool privfd_evict(int fd);

/* In the parent, just before fork: waits for other threads' adoptions,
 * moves and releases in progress, and holds new ones back until the fork
 * is made, so that no copy exists unregistered when the child is made (it
 * would leak into the child). */
void privfd_before_fork(void);
/* In the parent after the fork: changes may start again. */
void privfd_after_fork_parent(void);

/* Closes, in a forked child, the descriptors of every slot for which keep
 * returns false (pinned ones are always kept), and frees those slots. */
void privfd_close_in_child(bool (*keep)(int slot));

#endif
