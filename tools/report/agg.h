/* The counts of a report: each reading thread fills a tally of its own
 * from the lines it reads, and the tallies are merged at the end.  A tally
 * holds counts by name (event, errno, program, peer, host, call site) and
 * one sample per call site, never the records. */
#ifndef REPORT_AGG_H
#define REPORT_AGG_H

#include <stdbool.h>
#include <stdint.h>

#include "filter.h"
#include "input.h"
#include "map.h"

/* The sample record shown for a call site is cut to about this many bytes. */
#define SAMPLE_MAX 300

/* The order of a line among all inputs: the unit of input it was read in
 * (input order), and its line number there.  Ties between call sites go
 * to the one seen first in the logs, whichever thread read it. */
#define AGG_ORDER(unit, line) ((uint64_t)(unit) << 40 | (line))

struct site {
	int64_t count;	    /* records, and those that suppressed records stand for */
	int64_t records;    /* records written (summaries not counted) */
	int64_t truncated;
	int64_t suppressed;
	uint64_t first;	    /* AGG_ORDER of its first line */
	struct map events;  /* event -> count */
	const char *id;	    /* the records' "site", if grouped by it */
	/* the earliest record with a backtrace (else the earliest at all):
	 * its backtrace's JSON text (NULL if none) and the line, cut */
	char *backtrace;
	size_t backtrace_len;
	/* ... and its lang_backtrace's (NULL if none) */
	char *lang;
	size_t lang_len;
	char *sample;
	uint64_t sample_order;
};

struct host {
	uint32_t id;	   /* its number in the tally (host_peers4) */
	struct map events; /* event -> count */
	struct map peers;  /* peer address (port-free) -> records; IPv4
			      ones are in the tally's host_peers4 */
	uint32_t npeers4;  /* distinct IPv4 peers there */
	struct map progs;  /* program -> count */
};

/* The keys of IPv4 peers in the number maps (never 0). */
#define PEER4(ip) (1ull << 63 | (uint64_t)(ip))
#define PEER4_PORT(ip, port) (1ull << 63 | (uint64_t)(ip) << 16 | (uint64_t)(port))
#define HOST_PEER4(host, ip) (1ull << 63 | (uint64_t)(host) << 32 | (uint64_t)(ip))
/* "10.0.0.1" or "10.0.0.1:80" of such a key */
void peer4_name(uint64_t key, bool port, char *buf, size_t cap);

struct tally {
	int64_t lines;	     /* not counting blank ones */
	int64_t blank;
	int64_t records;     /* records counted (filters passed), summaries too */
	int64_t truncated;
	int64_t other;	     /* lines of other programs in a collector's file */
	int64_t filtered;    /* records the filters left out */
	int64_t summaries;   /* "suppressed" records */
	int64_t suppressed;  /* the records they stand for */
	int64_t drop_notes;  /* "log_dropped" records */
	int64_t dropped;     /* the records they say were lost */
	int64_t with_backtrace;
	int64_t bad[BAD_N];
	int64_t by_fmt[FMT_N];
	bool have_bad;	     /* the first line that is not a record */
	uint64_t first_bad;  /* its AGG_ORDER */
	bool have_ts;
	int64_t ts_min, ts_max;
	struct arena arena;
	struct map events, errnos, progs, peers, peer_ports, hosts, sites;
	/* peers written as IPv4 "a.b.c.d:port" (the most), by number */
	struct imap peers4, peer_ports4, host_peers4;
	struct host **host_by_id;
	uint32_t nhosts;
	const struct filter *filter;
	char *scratch;	     /* decoded strings and call-site keys of one record */
	size_t scratch_cap;
};

void tally_init(struct tally *t, const struct filter *f);
void tally_free(struct tally *t);
/* Counts line L, the LINE_NO'th of unit UNIT (from 1). */
void tally_line(struct tally *t, const struct line *l, uint32_t unit, uint64_t line_no);
/* Counts a line longer than LINE_CAP. */
void tally_too_long(struct tally *t, uint32_t unit, uint64_t line_no);
/* The count of peer NAME ("10.0.0.1", or with PORT "10.0.0.1:80"), of
 * host H or (NULL) of all, whether it is kept by name or by number. */
int64_t tally_peer(const struct tally *t, const struct host *h, const char *name, bool port);
/* Adds SRC into DST; SRC is left to be freed. */
void tally_merge(struct tally *dst, struct tally *src);

/* A peer's address without its port: "10.0.0.1:80" -> "10.0.0.1",
 * "[::1]:80" -> "::1"; a unix path (FAMILY "unix") as it is. */
void peer_address(const char *peer, size_t len, const char *family, size_t family_len, const char **addr,
		  size_t *addr_len);

#endif
