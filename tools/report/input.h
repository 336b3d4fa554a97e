/* The formats a line of a log may come in, told apart line by line (a
 * collector's file may hold several): a record as the shim writes it
 * (JSON lines), a syslog line of a collector (traditional, RFC 3339 as
 * Debian's rsyslog writes files, RFC 5424 with or without <PRI>; in the
 * first two our tag may lack its colon, as rsyslog's own file templates
 * write a record that came in RFC 5424), or a journald entry as
 * `journalctl -o json` prints it. */
#ifndef REPORT_INPUT_H
#define REPORT_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "jscan.h"
#include "report.h"

enum fmt {
	FMT_JSONL,
	FMT_SYSLOG,	 /* "Nov 30 10:00:00 HOST sockshim[PID]: {json}" */
	FMT_SYSLOG_3339, /* "2026-11-30T10:00:00.123456+00:00 HOST sockshim[PID]: {json}" */
	FMT_SYSLOG_5424, /* "<PRI>1 2026-11-30T10:00:00.123Z HOST sockshim PID - - {json}" */
	FMT_JOURNALD,	 /* journalctl -o json */
	FMT_N
};
extern const char *const fmt_names[FMT_N];

enum line_kind {
	LINE_BLANK,  /* spaces and tabs only */
	LINE_RECORD,
	LINE_OTHER,  /* a syslog line or journal entry of another program */
	LINE_BAD,    /* not a record */
};

/* Why a line is not a record, in the order the report lists them. */
enum bad_reason {
	BAD_NOT_JSON,
	BAD_NOT_OBJECT,
	BAD_NO_EVENT,
	BAD_TOO_LONG,
	BAD_JOURNAL_NULL, /* journalctl left the record out (> 4096 bytes without --all) */
	BAD_N
};
extern const char *const bad_names[BAD_N];

/* What a line holds.  Spans point into the line, or into SCRATCH (a
 * journald entry's record, decoded). */
struct line {
	enum line_kind kind;
	enum bad_reason bad;
	enum fmt fmt;
	const char *json; /* the record's own JSON text */
	size_t json_len;
	struct jspan host; /* the collector's name of the host (syslog header,
			      journald _HOSTNAME); JT_NONE if none */
	struct jdoc *rec;  /* the record's fields: &outer or &inner */
	struct jdoc outer, inner;
	char scratch[LINE_CAP + 1];
};

/* Reads the LEN bytes at TEXT (without the newline) into L.  TEXT[LEN]
 * must be readable (see js_scan); the bytes themselves are not changed.
 * A line longer than LINE_CAP is not to be given: it is BAD_TOO_LONG. */
void line_parse(struct line *l, const char *text, size_t len);

#endif
