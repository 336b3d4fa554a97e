/* The record writer: builds one JSON object, one line, in a caller-owned
 * buffer of bounded size.  No allocation, no locale, no stdio: it runs inside
 * interposed calls, in signal handlers and in forked children.
 *
 * Every append is all or nothing: a field that does not fit is left out
 * whole and the record is marked full, so the line is always valid JSON.
 * Room is kept at the end to close what is open and to add
 * "truncated":true. */
#ifndef SHIM_RECORD_H
#define SHIM_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define REC_MAX_DEPTH 4

struct record {
	char *buf;
	size_t cap;   /* bytes available, newline included */
	size_t len;
	bool full;    /* an append did not fit */
	bool truncated; /* set by the caller when it left something out */
	unsigned depth;	/* open containers, the record itself included */
	unsigned unopened; /* begins that did not fit: their ends close nothing */
	bool first[REC_MAX_DEPTH]; /* no element yet at this depth */
	char closer[REC_MAX_DEPTH];
};

/* A position to go back to: used to drop a backtrace frame whole. */
struct rec_mark {
	size_t len;
	unsigned depth;
	unsigned unopened;
	bool full;
	bool first[REC_MAX_DEPTH];
	char closer[REC_MAX_DEPTH];
};

/* Starts a record ("{") in buf[cap]; cap must be at least 64.  Once an
 * append did not fit, every later one is refused too (so nothing lands in the
 * wrong container), until rec_rollback to a mark taken before. */
void rec_begin(struct record *r, char *buf, size_t cap);

/* Every append that names a key takes the key's length too: keys are
 * nearly always literals, whose length the compiler knows, and a record
 * has a score of them.  The macros below pass it; key may be NULL (an
 * element of an array).  They name key twice: pass a literal or a plain
 * variable, never an expression with a side effect. */
static inline __attribute__((always_inline)) size_t rec_key_len(const char *key)
{
	return key ? __builtin_strlen(key) : 0;
}

/* Appends "key":"value", value escaped; invalid UTF-8 becomes U+FFFD. */
#define rec_str(r, key, value) rec_str_k((r), (key), rec_key_len(key), (value))
void rec_str_k(struct record *r, const char *key, size_t key_len, const char *value);
/* The same for the first n bytes of value (which may hold NULs). */
#define rec_strn(r, key, value, n) rec_strn_k((r), (key), rec_key_len(key), (value), (n))
void rec_strn_k(struct record *r, const char *key, size_t key_len, const char *value, size_t n);
/* A value that is one of the shim's own constants (an event name, an
 * errno name, libc's text of an errno): printable ASCII without quote or
 * backslash, copied as it is. */
#define rec_str_const(r, key, value) rec_str_const_k((r), (key), rec_key_len(key), (value))
void rec_str_const_k(struct record *r, const char *key, size_t key_len, const char *value);
#define rec_int(r, key, value) rec_int_k((r), (key), rec_key_len(key), (value))
void rec_int_k(struct record *r, const char *key, size_t key_len, long long value);
/* "key":"0x1a2b" */
#define rec_hex(r, key, value) rec_hex_k((r), (key), rec_key_len(key), (value))
void rec_hex_k(struct record *r, const char *key, size_t key_len, uint64_t value);
#define rec_bool(r, key, value) rec_bool_k((r), (key), rec_key_len(key), (value))
void rec_bool_k(struct record *r, const char *key, size_t key_len, bool value);
/* "key":"name+0x1f" (a symbol and the offset into it), with no copy of
 * name on the stack. */
#define rec_symbol(r, key, name, off) rec_symbol_k((r), (key), rec_key_len(key), (name), (off))
void rec_symbol_k(struct record *r, const char *key, size_t key_len, const char *name,
		  uint64_t off);
/* "key":"2026-11-25T10:00:00.123456Z" (RFC 3339, UTC, microseconds) */
#define rec_time(r, key, ts) rec_time_k((r), (key), rec_key_len(key), (ts))
void rec_time_k(struct record *r, const char *key, size_t key_len, const struct timespec *ts);

/* A backtrace frame, as one element of the array being written:
 * {"ip":"0x..","module":"..","offset":"0x..","symbol":"name+0x.."}, module
 * and offset only with a module, symbol only with a symbol.  Strings
 * marked plain are known to need no escaping (printable ASCII but quote
 * and backslash): copied whole.  If the frame does not fit, nothing of it
 * is written and the record is full. */
struct rec_frame {
	uintptr_t ip, offset, symbol_off;
	const char *module, *symbol;
	size_t module_len, symbol_len;
	bool module_plain, symbol_plain;
};
void rec_frame(struct record *r, const struct rec_frame *f);

/* Whether s[n] needs no escaping in a JSON string. */
bool rec_plain(const char *s, size_t n);

/* Opens "key":[ (key NULL inside an array: just "["), and objects. */
/* Elements written whole elsewhere (a copy of ones this file wrote), into
 * a container just begun: where room bytes may be written, NULL if they
 * do not fit or the container is not empty; rec_elements_done then
 * commits the len bytes (at most room) that are the elements. */
char *rec_elements_room(struct record *r, size_t room);
void rec_elements_done(struct record *r, size_t len);
/* Members made by this writer elsewhere ("k":v,"k2":v2, as the text
 * between a record's braces), appended as they are, after a comma if
 * needed; all or nothing, like an element. */
void rec_members(struct record *r, const char *text, size_t len);
#define rec_array_begin(r, key) rec_array_begin_k((r), (key), rec_key_len(key))
void rec_array_begin_k(struct record *r, const char *key, size_t key_len);
void rec_array_end(struct record *r);
#define rec_object_begin(r, key) rec_object_begin_k((r), (key), rec_key_len(key))
void rec_object_begin_k(struct record *r, const char *key, size_t key_len);
void rec_object_end(struct record *r);

/* rec_rollback goes back to the mark: what was appended since is gone, and
 * appends are accepted again if they were at the mark. */
void rec_mark(const struct record *r, struct rec_mark *m);
void rec_rollback(struct record *r, const struct rec_mark *m);

/* Closes everything still open, adds "truncated":true if the record was
 * full or r->truncated was set, and the newline.  Returns the length of the
 * line, which is at most cap. */
size_t rec_end(struct record *r);

/* The digits of v in base 10 or 16 written backwards from end (at most 20
 * bytes before it); returns where they start.  The shim's one integer
 * formatter (no stdio: see above). */
char *rec_digits(uint64_t v, unsigned base, char *end);

/* Formats ts as RFC 3339 UTC with microseconds into out (at least 28
 * bytes), without the time-zone database (gmtime_r takes a lock). */
void rec_format_time(const struct timespec *ts, char out[28]);

#endif
