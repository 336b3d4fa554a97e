/* Rate limiting of records, per call site and event (SOCKSHIM_RATE=N/SECONDS):
 * the first N records of an (event, site) pair in each window are written;
 * later ones are counted, and the count goes out in one `suppressed` record
 * for the pair when its next window starts (or at exit), so that totals stay
 * exact.  A process-wide cap (RATE_GLOBAL_FACTOR times N per window, all
 * sites together) protects the host from a program with many sites at once.
 *
 * Lock-free (atomics only), no allocation: a fixed table of pairs.  A pair
 * that finds the table full is not limited per site (the process-wide cap
 * still applies, and what it refuses is counted). */
#ifndef SHIM_RATELIMIT_H
#define SHIM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATE_SLOTS 4096
#define RATE_GLOBAL_FACTOR 10

/* Whether the record of event (the name's address is its identity) at site
 * may be written now (now_s: a monotonic clock in seconds), with n records
 * per window_s allowed (n 0: no limit).  *flush_count: records of this pair
 * suppressed in the window that just ended (0: none), to be reported. */
bool ratelimit_admit(const char *event, uint64_t site, uint32_t now_s, int n, int window_s,
		     uint32_t *flush_count);

/* Calls fn for each pair with suppressed records not reported yet (at
 * exit), and counts them as reported. */
void ratelimit_flush(void (*fn)(const char *event, uint64_t site, uint32_t count, void *ctx),
		     void *ctx);

/* Forgets everything (tests, and a forked child: its counts start anew). */
void ratelimit_reset(void);

#endif
