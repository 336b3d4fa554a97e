/* Which records the report counts: a time range (on the record's "ts"),
 * events, programs and hosts; and RFC 3339 times. */
#ifndef REPORT_FILTER_H
#define REPORT_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Microseconds since 1970 (UTC) of an RFC 3339 time
 * ("2026-11-30T10:00:00.123456Z", "...+01:00").  With DATE_OK, also a
 * date alone (its midnight, UTC), a time without seconds, a space for
 * the T, and no offset (UTC): what a person types on a command line. */
bool rfc3339_parse(const char *s, size_t n, bool date_ok, int64_t *us);
/* "2026-11-30T10:00:00.123456Z" into BUF, of RFC3339_MAX bytes. */
#define RFC3339_MAX 48
void rfc3339_format(int64_t us, char *buf);

struct filter {
	bool since_set, until_set;
	int64_t since, until; /* since <= ts < until */
	/* each list: any of them (none: all) */
	char **events, **progs, **hosts;
	size_t nevents, nprogs, nhosts;
};

bool filter_any(const struct filter *f);
/* Whether a record of EVENT (for a suppressed record, the event it
 * counts), PROG and HOST (NULL: none) at TS (HAVE_TS false: none
 * readable) is counted. */
bool filter_match(const struct filter *f, const char *event, size_t event_len, const char *prog,
		  size_t prog_len, const char *host, size_t host_len, bool have_ts, int64_t ts);

#endif
