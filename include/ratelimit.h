/* Rate limiting of records, per call site and event (SOCKSHIM_RATE=N/SECONDS):
 * the first N records of an (event, site) pair in each window are written;
 * later ones are counted, and the count goes out in one `suppressed` record
 * for the pair when its next window starts (or at exit), so that totals stay
 * exact.  A process-wide cap (RATE_GLOBAL_FACTOR times N per window, all
 * sites together) protects the host from a program with many sites at once.
 *
 * One table for the whole fork tree: the table is shared memory, made at a
 * process's first record that needs it or its first fork, and its children
 * use it too, so that a forking server whose every child makes the same
 * record is limited as one program (each child started anew before, and
 * wrote one record per connection: regress_rate_limit_fork_tree).  The cap
 * is then the tree's.  What is still counted when the tree ends is
 * reported by the process that made the table, or, if it ended first, by
 * the last of the others (ratelimit_leave).
 *
 * Lock-free (atomics only), no allocation but that one mapping: a fixed
 * table of pairs.  A site the table has no room for is counted with its
 * event's overflow pair, site 0 (unknown), under the cap
 * (regress_rate_limit_full_table). */
#ifndef SHIM_RATELIMIT_H
#define SHIM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATE_SLOTS 4096
#define RATE_OVERFLOW 32 /* overflow pairs: one per event name */
#define RATE_GLOBAL_FACTOR 10

/* What a window that just ended held back: count records of event at site
 * (0: a site the table had no room for).  count 0: nothing to report. */
struct rate_flush {
	uint32_t count;
	uint64_t site;
};

/* Whether the record of event (the name's address is its identity) at site
 * may be written now (now_s: a monotonic clock in seconds), with n records
 * per window_s allowed (n 0: no limit).  *flush: records of this pair (or
 * of its overflow pair) suppressed in the window that just ended, to be
 * reported. */
bool ratelimit_admit(const char *event, uint64_t site, uint32_t now_s, int n, int window_s,
		     struct rate_flush *flush);

/* Calls fn for each pair with suppressed records not reported yet (at
 * exit), and counts them as reported. */
void ratelimit_flush(void (*fn)(const char *event, uint64_t site, uint32_t count, void *ctx),
		     void *ctx);

/* Counts given back to the pair of event at site: a suppressed record
 * that could not be written (they go out with the pair's next one). */
void ratelimit_give_back(const char *event, uint64_t site, uint32_t count);

/* One record of event at site that ratelimit_admit answered taken back:
 * what it was about did not happen after all (event_release).  One it
 * held back (counted): the count less one, unless reported meanwhile; one
 * it admitted (admitted): its place in the window, and in the process-wide
 * cap's, given back. */
void ratelimit_uncount(const char *event, uint64_t site, bool admitted);

/* Before a fork (the parent, fork handlers): the shared table is made, if
 * it is not there yet, for the child to share. */
void ratelimit_before_fork(void);

/* In a forked child: it joins its parent's shared table, as one of the
 * processes to end before what is counted is reported (or, if there is
 * none, starts anew with its own). */
void ratelimit_forked(void);

/* At a process's end (or its exec): whether it is to report what is still
 * counted (it made the shared table; or that process is gone and no other
 * that joined is alive; or its table is its own).  Ends its share of the
 * table (again: nothing more). */
bool ratelimit_leave(void);

/* A child in a pid namespace of its own (clone(CLONE_NEWPID)): its pid and
 * its tree's mean other processes there, so it and the processes it forks
 * are none of the members (one killed there, as pid 1, looked alive for
 * ever from outside, and nobody reported: regress_rate_limit_pid_namespace);
 * they count in the table, and report nothing at their end. */
void ratelimit_elsewhere(void);

/* An exec that failed after ratelimit_leave: the process is one of the
 * tree's again. */
void ratelimit_rejoin(void);

/* Tests: leaves the slot where the pair of event at site would be made
 * "being set up", as a setter that died there (or that a signal handler
 * interrupted) leaves it. */
void ratelimit_jam_for_test(const char *event, uint64_t site);

/* Forgets everything, this process's own table again (tests). */
void ratelimit_reset(void);

#endif
