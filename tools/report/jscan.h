/* A validating JSON scanner for the report's hot path: one pass over a
 * line, no allocation, the values of the few fields the report counts
 * left where they are in the line.  It accepts exactly what jansson's
 * json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL) accepts (tests/fuzz/fuzz_report_line.c holds
 * it to that), so that "malformed" means the same as before. */
#ifndef REPORT_JSCAN_H
#define REPORT_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jtype { JT_NONE, JT_STRING, JT_INT, JT_REAL, JT_TRUE, JT_FALSE, JT_NULL, JT_ARRAY, JT_OBJECT };

/* A value in the scanned text: for a string, the bytes between the
 * quotes (ESC: it holds a backslash escape, see js_string); for anything
 * else, the value's whole text. */
struct jspan {
	const char *p;
	uint32_t n;
	uint8_t type; /* enum jtype; JT_NONE: the key was not there */
	uint8_t esc;
};

/* The top-level keys the report reads: a record's, and those of a
 * journald entry (journalctl -o json).  A key that comes twice counts
 * with its last value, as jansson keeps it. */
enum jkey {
	K_EVENT,
	K_TS,
	K_HOST,
	K_PROG,
	K_PID,
	K_ERRNO,
	K_PEER,
	K_FAMILY,
	K_SITE,
	K_COUNT,
	K_SUPPRESSED_EVENT,
	K_TRUNCATED,
	K_BACKTRACE,
	K_LANG_BACKTRACE, /* kept as its JSON text */
	K_DROPPED,	  /* log_dropped's count */
	/* journald */
	K_MESSAGE,
	K_SOCKSHIM_RECORD,
	K_J_HOSTNAME,
	K_J_CURSOR,
	K_J_REALTIME,
	K_J_SYSLOG_IDENTIFIER,
	K_N
};

/* Frames of "backtrace" kept; a longer backtrace is still validated and
 * its frame count known. */
#define JS_MAX_FRAMES 128

struct jframe {
	struct jspan module, offset, build_id; /* JT_NONE if absent */
};

struct jdoc {
	uint8_t top; /* enum jtype of the whole text */
	struct jspan k[K_N];
	uint32_t nframes; /* elements of "backtrace" (when it is an array) */
	struct jframe frames[JS_MAX_FRAMES];
};

/* Scans the N bytes at P as one JSON text.  Returns true if it is one,
 * with D filled; false otherwise.  P[N] must be readable and hold a byte
 * below 0x20 (a line's newline, or a '\0' put there): string scanning
 * stops on it without a bounds check per byte. */
bool js_scan(const char *p, size_t n, struct jdoc *d);

/* The decoded bytes of string S: S->p itself when it holds no escape
 * (*LEN = S->n), else decoded into BUF (CAP >= S->n + 1 always suffices),
 * NUL-terminated.  S was validated by js_scan: escapes are well formed.
 * NULL if S is not a string. */
const char *js_string(const struct jspan *s, char *buf, size_t cap, size_t *len);

/* The value of an integer span; false if it is not one. */
bool js_int(const struct jspan *s, int64_t *v);

#endif
