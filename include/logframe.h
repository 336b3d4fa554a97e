/* How a finished record (one JSON line) is framed for the log daemons:
 * syslog(3)'s datagram on /dev/log, and journald's native protocol.  Pure
 * functions over caller-owned memory (no allocation, no locks, no stdio, no
 * time-zone database): they run inside interposed calls and signal
 * handlers, and the unit tests call them directly. */
#ifndef SHIM_LOGFRAME_H
#define SHIM_LOGFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <time.h>

/* ---- syslog ------------------------------------------------------------ */

/* The header glibc's syslog(3) puts before the message, with the shim's
 * fixed tag: "<PRI>Mmm dd hh:mm:ss sockshim[PID]: " (the day padded with a
 * space, as strftime's %e).  local is the local time in seconds since the
 * epoch (UTC seconds plus the zone's offset).  Writes into out (at least
 * LOGFRAME_SYSLOG_HEAD_MAX bytes, no NUL); returns the length. */
#define LOGFRAME_SYSLOG_HEAD_MAX 64
size_t logframe_syslog_head(char *out, int pri, int64_t local, int pid);

/* ---- the JSON scanner -------------------------------------------------- */

/* A piece of the record. */
struct logframe_span {
	const char *p;
	size_t n;
	bool string; /* a JSON string: p..p+n is its content, still escaped */
};

/* Finds the value of key among the members of the object that starts at
 * json[0] ('{'), len bytes at most: a string (its content between the
 * quotes), a number or literal (its text), or an array or object (its
 * whole text, brackets included).  Only that object's own members are
 * looked at, never those of nested ones.  False if absent or if the text is
 * not the JSON the shim writes. */
bool logframe_json_get(const char *json, size_t len, const char *key, struct logframe_span *v);

/* The "symbol" of the first frame of the record's "backtrace", if it has
 * one. */
bool logframe_json_first_symbol(const char *json, size_t len, struct logframe_span *v);

/* The content of a JSON string (escaped, as a span gives it) unescaped into
 * out[cap]: \" \\ \/ \b \f \n \r \t and \uXXXX (surrogate pairs too) as
 * UTF-8.  Cut at a character boundary if it does not fit; returns the
 * length written. */
size_t logframe_json_unescape(const char *s, size_t n, char *out, size_t cap);

/* ---- journald's native protocol ---------------------------------------- */

/* One datagram to /run/systemd/journal/socket: fields "KEY=value\n", or,
 * for a value holding a newline (or a NUL), "KEY\n", the value's length
 * as 64-bit little endian, the value, "\n".  Built as an iovec over the
 * record itself (MESSAGE and SOCKSHIM_RECORD are not copied) plus a small
 * area for keys, lengths and unescaped values. */
#define LOGFRAME_JOURNAL_IOV 36
#define LOGFRAME_JOURNAL_BYTES 1024
#define LOGFRAME_JOURNAL_VALUE_MAX 384 /* a copied (unescaped) value is cut there */
struct logframe_journal {
	struct iovec iov[LOGFRAME_JOURNAL_IOV];
	int n_iov;
	size_t used; /* of bytes */
	bool full;   /* a field did not fit and was left out */
	char bytes[LOGFRAME_JOURNAL_BYTES];
};

void logframe_journal_begin(struct logframe_journal *m);

/* Adds KEY=value (value[n], which must stay valid until the datagram is
 * sent; the text or the binary form as the value needs).  A field that
 * does not fit is left out whole. */
void logframe_journal_add(struct logframe_journal *m, const char *key, const char *value, size_t n);

/* The same with a copy of the value (cut to the room left, and to
 * LOGFRAME_JOURNAL_VALUE_MAX). */
void logframe_journal_add_copy(struct logframe_journal *m, const char *key, const char *value,
			       size_t n);

/* All fields of one record: line[len] is the JSON line (its newline, if
 * any, is not sent), priority syslog's (4 for the error events, 6 for the
 * others).  MESSAGE and SOCKSHIM_RECORD are the JSON; SYSLOG_IDENTIFIER is
 * sockshim; SOCKSHIM_EVENT, SOCKSHIM_SITE, SOCKSHIM_PEER, SOCKSHIM_LOCAL,
 * SOCKSHIM_REASON, SOCKSHIM_ERRNO come from the record's fields of those
 * names where it has them, and CODE_FUNC from the symbol of the first
 * backtrace frame (without its offset). */
void logframe_journal_record(struct logframe_journal *m, const char *line, size_t len,
			     int priority);

/* The datagram's total length. */
size_t logframe_journal_size(const struct logframe_journal *m);

#endif
