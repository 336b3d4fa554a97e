/* How many descriptors the processes of one fork tree hold of a TCP
 * socket, counted in memory shared across fork, so that the last close of
 * a socket shared by fork is known as such before it happens: a forking
 * server's child (a PostgreSQL backend) whose exit or close ends the
 * connection can then be lingered on under SOCKSHIM_GRACEFUL=1, as the
 * last close in a single process is.
 *
 * Only while graceful close is on (the counts are keyed by the socket's
 * SO_COOKIE, which the shim takes then).  A socket is counted from the
 * first fork that shares it (FD_COUNTED on each number that holds it):
 * each fork adds the child's copies, each dup one, each close or exit
 * takes its own away.  What the shim cannot follow pins the count for
 * good (never the last again): a socket passed in SCM_RIGHTS or inherited
 * by a spawned program, or held by a process that execs (its new image
 * takes no count away, nor does the exec's own closing of it; exit and
 * _exit take theirs: close_path_at_exit).  Every mistake is on the side of "not the last": a
 * socket another process may hold is never lingered on for that reason
 * (where a close would reset, holders.h then asks /proc).
 * The table holds SHARECOUNT_SLOTS sockets over the tree's life; beyond,
 * sockets are not counted. */
#ifndef SHIM_SHARECOUNT_H
#define SHIM_SHARECOUNT_H

#include <stdbool.h>
#include <stdint.h>

#define SHARECOUNT_SLOTS (1u << 18)

/* At load, when graceful close is on: the shared table. */
void sharecount_init(void);

/* In the parent, before fork: every counted TCP socket gets the child's
 * copy added; sockets not yet counted start counting (FD_COUNTED). */
void sharecount_fork(void);

/* A counted socket got another number (dup), or went where no count
 * follows (pin). */
void sharecount_add(uint64_t cookie);
void sharecount_pin(uint64_t cookie);

/* Before an exec: the counted sockets of this process go where no count
 * follows (the new image's shim knows nothing of them, and the exec
 * closes those that are close-on-exec without a word): pinned, whether
 * the exec succeeds or not (regress_graceful_fork_exec). */
void sharecount_exec(void);

/* Whether the count of number fd's socket (state st) follows every holder
 * (counted, not pinned): then its "not the last" is the truth, and no
 * other look (holders.h) is needed. */
bool sharecount_followed(int fd, uint32_t st);

/* Whether number fd (state st) holds the one reference left in the tree. */
bool sharecount_last(int fd, uint32_t st);

/* A counted number of the socket was closed. */
void sharecount_release(uint64_t cookie);

#endif
