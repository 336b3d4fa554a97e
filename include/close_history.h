/* Where each descriptor was last closed: a short backtrace per close, kept
 * in a fixed ring so that memory stays bounded.  A double_close reports the
 * earlier close's backtrace from here (first_backtrace), as long as fewer
 * than CLOSE_HISTORY_SLOTS closes happened in between. */
#ifndef SHIM_CLOSE_HISTORY_H
#define SHIM_CLOSE_HISTORY_H

#include <stdint.h>

#define CLOSE_HISTORY_SLOTS 4096
#define CLOSE_HISTORY_DEPTH 8

/* In the parent, just before a fork: the ring moves, the first time, into
 * memory the children share (a fork then copies none of its pages). */
void close_history_before_fork(void);

/* In a forked child, before anything else: from now on it writes a ring
 * of its own; the ids from before the fork are read from the parent's. */
void close_history_forked(void);

/* Records the backtrace ips[n] of a close (its first CLOSE_HISTORY_DEPTH
 * frames); returns its id (never 0). */
uint32_t close_history_record(void *const *ips, int n);

/* A new id from the same counter, with nothing recorded: taken after a
 * close's real close (fdend_finish's after_id). */
uint32_t close_history_next_id(void);

/* Copies the backtrace of close id into ips (at least
 * CLOSE_HISTORY_DEPTH); returns its length, 0 if it was overwritten. */
int close_history_get(uint32_t id, void **ips);

#endif
