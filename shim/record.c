/* The record writer. */
#include "record.h"

#include <string.h>

/* Room always kept free for rec_end: closing brackets of the open
 * containers, ,"truncated":true, "}" and the newline. */
#define REC_TAIL (REC_MAX_DEPTH + sizeof(",\"truncated\":true}\n"))

void rec_begin(struct record *r, char *buf, size_t cap)
{
	memset(r, 0, sizeof *r);
	r->buf = buf;
	r->cap = cap;
	r->buf[0] = '{';
	r->len = 1;
	r->depth = 1;
	r->first[0] = true;
}

void rec_mark(const struct record *r, struct rec_mark *m)
{
	m->len = r->len;
	m->depth = r->depth;
	m->unopened = r->unopened;
	m->full = r->full;
	memcpy(m->first, r->first, sizeof m->first);
	memcpy(m->closer, r->closer, sizeof m->closer);
}

void rec_rollback(struct record *r, const struct rec_mark *m)
{
	r->len = m->len;
	r->depth = m->depth;
	r->unopened = m->unopened;
	memcpy(r->first, m->first, sizeof r->first);
	memcpy(r->closer, m->closer, sizeof r->closer);
	r->full = m->full;
}

/* A growing piece of a record, committed only if it all fits. */
struct piece {
	struct record *r;
	size_t len;   /* the record's length with the piece so far */
	size_t limit; /* what appends may fill: REC_TAIL stays free */
	bool over;
};

static void piece_begin(struct piece *p, struct record *r)
{
	p->r = r;
	p->len = r->len;
	p->limit = r->cap > REC_TAIL ? r->cap - REC_TAIL : 0;
	p->over = r->full || p->len > p->limit;
}

static inline void put(struct piece *p, const char *s, size_t n)
{
	if (__builtin_expect(p->over || n > p->limit - p->len, 0)) {
		p->over = true;
		return;
	}
	memcpy(p->r->buf + p->len, s, n);
	p->len += n;
}

static inline void put_c(struct piece *p, char c)
{
	if (__builtin_expect(p->over || p->len >= p->limit, 0)) {
		p->over = true;
		return;
	}
	p->r->buf[p->len++] = c;
}

static void put_s(struct piece *p, const char *s)
{
	put(p, s, strlen(s));
}

/* Commits the piece: returns false (and marks the record full) if it did
 * not fit. */
static bool piece_end(struct piece *p)
{
	if (p->over) {
		p->r->full = true;
		return false;
	}
	p->r->len = p->len;
	return true;
}

/* n bytes of a key to d.  Keys are the shim's own names, a few bytes
 * long: two overlapping moves cost less than a call to memcpy. */
static inline void copy_key(char *d, const char *key, size_t n)
{
	if (n >= 8 && n <= 16) {
		uint64_t a, b;

		memcpy(&a, key, 8);
		memcpy(&b, key + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		uint32_t a, b;

		memcpy(&a, key, 4);
		memcpy(&b, key + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else if (n < 4) {
		for (size_t i = 0; i < n; i++)
			d[i] = key[i];
	} else {
		memcpy(d, key, n);
	}
}

/* The separator and "key": of a new element at the current depth, in one
 * bounds check (a record has a score of keys: this is its hottest path).
 * n is the key's length, taken where the key is named (rec_key_len). */
static void put_key(struct piece *p, const char *key, size_t n)
{
	struct record *r = p->r;
	size_t comma = r->first[r->depth - 1] ? 0 : 1;
	size_t need = comma + (key ? n + 3 : 0);
	char *d;

	if (__builtin_expect(p->over || need > p->limit - p->len, 0)) {
		p->over = true;
		return;
	}
	d = r->buf + p->len;
	if (comma)
		*d++ = ',';
	if (key) {
		*d++ = '"';
		copy_key(d, key, n);
		d += n;
		*d++ = '"';
		*d++ = ':';
	}
	p->len += need;
}

/* The element was written: the next one at this depth needs a comma. */
static void element_done(struct record *r)
{
	r->first[r->depth - 1] = false;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if the bytes
 * there are not one (stray continuation, overlong form, surrogate, beyond
 * U+10FFFF, or cut short). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp, min;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* The bytes that go into a JSON string as they are: printable ASCII but
 * quote and backslash. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const bool plain_byte[256] = {
	[0x20 ... 0x7e] = true,
	['"'] = false,
	['\\'] = false,
};
#pragma GCC diagnostic pop

bool rec_plain(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!plain_byte[(unsigned char)s[i]])
			return false;
	return true;
}

/* The characters of a JSON string, without its quotes. */
static void put_escaped_chars(struct piece *p, const char *value, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)value;
	size_t i = 0;

	while (i < n && !p->over) {
		unsigned char c = s[i];
		size_t len, run;

		/* A run of printable ASCII other than quote and backslash goes
		 * in one copy: paths and symbols are made of little else. */
		for (run = i; run < n && plain_byte[s[run]]; run++)
			;
		if (run > i) {
			put(p, value + i, run - i);
			i = run;
			continue;
		}
		switch (c) {
		case '"': put_s(p, "\\\""); i++; continue;
		case '\\': put_s(p, "\\\\"); i++; continue;
		case '\n': put_s(p, "\\n"); i++; continue;
		case '\r': put_s(p, "\\r"); i++; continue;
		case '\t': put_s(p, "\\t"); i++; continue;
		default: break;
		}
		if (c < 0x20 || c == 0x7f) {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

			put(p, esc, sizeof esc);
			i++;
			continue;
		}
		len = utf8_len(s + i, n - i);
		if (len == 0) {
			/* Not UTF-8 (a unix socket path, a program name):
			 * JSON cannot carry the byte, so it is replaced. */
			put_s(p, "\\ufffd");
			i++;
		} else {
			put(p, value + i, len);
			i += len;
		}
	}
}

static void put_escaped(struct piece *p, const char *value, size_t n)
{
	put_c(p, '"');
	put_escaped_chars(p, value, n);
	put_c(p, '"');
}

void rec_strn_k(struct record *r, const char *key, size_t key_len, const char *value, size_t n)
{
	struct piece p;

	piece_begin(&p, r);
	put_key(&p, key, key_len);
	put_escaped(&p, value, n);
	if (piece_end(&p))
		element_done(r);
}

void rec_str_const_k(struct record *r, const char *key, size_t key_len, const char *value)
{
	size_t n = strlen(value);
	struct piece p;

	piece_begin(&p, r);
	put_key(&p, key, key_len);
	put_c(&p, '"');
	put(&p, value, n);
	put_c(&p, '"');
	if (piece_end(&p))
		element_done(r);
}

void rec_str_k(struct record *r, const char *key, size_t key_len, const char *value)
{
	rec_strn_k(r, key, key_len, value, strlen(value));
}

char *rec_digits(uint64_t v, unsigned base, char *end)
{
	static const char digits[] = "0123456789abcdef";

	if (base == 16) { /* addresses, most numbers of a record: no division */
		do {
			*--end = digits[v & 15];
			v >>= 4;
		} while (v);
		return end;
	}
	if (base == 10) { /* a constant divisor: a multiplication, not a divide */
		do {
			*--end = (char)('0' + v % 10);
			v /= 10;
		} while (v);
		return end;
	}
	do {
		*--end = digits[v % base];
		v /= base;
	} while (v);
	return end;
}

void rec_int_k(struct record *r, const char *key, size_t key_len, long long value)
{
	char buf[24], *s;
	uint64_t mag = value < 0 ? 0 - (uint64_t)value : (uint64_t)value;
	struct piece p;

	s = rec_digits(mag, 10, buf + sizeof buf);
	if (value < 0)
		*--s = '-';
	piece_begin(&p, r);
	put_key(&p, key, key_len);
	put(&p, s, (size_t)(buf + sizeof buf - s));
	if (piece_end(&p))
		element_done(r);
}

void rec_hex_k(struct record *r, const char *key, size_t key_len, uint64_t value)
{
	char buf[24], *s;
	struct piece p;

	s = rec_digits(value, 16, buf + sizeof buf);
	*--s = 'x';
	*--s = '0';
	piece_begin(&p, r);
	put_key(&p, key, key_len);
	put_c(&p, '"');
	put(&p, s, (size_t)(buf + sizeof buf - s));
	put_c(&p, '"');
	if (piece_end(&p))
		element_done(r);
}

void rec_symbol_k(struct record *r, const char *key, size_t key_len, const char *name, uint64_t off)
{
	char buf[24], *s = rec_digits(off, 16, buf + sizeof buf);
	struct piece p;

	piece_begin(&p, r);
	put_key(&p, key, key_len);
	put_c(&p, '"');
	put_escaped_chars(&p, name, strlen(name));
	put(&p, "+0x", 3);
	put(&p, s, (size_t)(buf + sizeof buf - s));
	put_c(&p, '"');
	if (piece_end(&p))
		element_done(r);
}

/* "0x<hex>" at d (at most 18 bytes); returns the end. */
static char *write_hex(char *d, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	int n = (64 - __builtin_clzll(v | 1) + 3) / 4;

	d[0] = '0';
	d[1] = 'x';
	for (int i = n + 1; i >= 2; i--, v >>= 4)
		d[i] = digits[v & 15];
	return d + n + 2;
}

static void put_hex(struct piece *p, uint64_t v)
{
	char buf[20];

	put(p, buf, (size_t)(write_hex(buf, v) - buf));
}

static char *write_bytes(char *d, const char *s, size_t n)
{
	memcpy(d, s, n);
	return d + n;
}

/* rec_frame of plain strings that surely fit: one bounds check, written
 * in place. */
static bool frame_in_place(struct piece *p, const struct rec_frame *f)
{
	size_t most = 1 + 7 + 18 + 12 + f->module_len + 12 + 18 + 12 + f->symbol_len + 1 + 18 + 2;
	char *d;

	if ((f->module && !f->module_plain) || (f->symbol && !f->symbol_plain) || p->over ||
	    most > p->limit - p->len)
		return false;
	d = p->r->buf + p->len;
	if (!p->r->first[p->r->depth - 1])
		*d++ = ',';
	d = write_bytes(d, "{\"ip\":\"", 7);
	d = write_hex(d, f->ip);
	if (f->module) {
		d = write_bytes(d, "\",\"module\":\"", 12);
		d = write_bytes(d, f->module, f->module_len);
		d = write_bytes(d, "\",\"offset\":\"", 12);
		d = write_hex(d, f->offset);
		if (f->symbol) {
			d = write_bytes(d, "\",\"symbol\":\"", 12);
			d = write_bytes(d, f->symbol, f->symbol_len);
			*d++ = '+';
			d = write_hex(d, f->symbol_off);
		}
	}
	d = write_bytes(d, "\"}", 2);
	p->len = (size_t)(d - p->r->buf);
	return true;
}

static void put_string(struct piece *p, const char *s, size_t n, bool plain)
{
	if (plain)
		put(p, s, n);
	else
		put_escaped_chars(p, s, n);
}

/* A frame with names to escape, or one that may not fit: piece by piece,
 * in a frame of its own (off the common path, whose stack may be a
 * handler's small one). */
__attribute__((noinline)) static void frame_by_pieces(struct record *r, const struct rec_frame *f)
{
	struct piece p;

	piece_begin(&p, r);
	if (r->depth >= REC_MAX_DEPTH)
		p.over = true;
	put_key(&p, NULL, 0); /* the comma */
	put(&p, "{\"ip\":\"", 7);
	put_hex(&p, f->ip);
	if (f->module) {
		put(&p, "\",\"module\":\"", 12);
		put_string(&p, f->module, f->module_len, f->module_plain);
		put(&p, "\",\"offset\":\"", 12);
		put_hex(&p, f->offset);
		if (f->symbol) {
			put(&p, "\",\"symbol\":\"", 12);
			put_string(&p, f->symbol, f->symbol_len, f->symbol_plain);
			put(&p, "+", 1);
			put_hex(&p, f->symbol_off);
		}
	}
	put(&p, "\"}", 2);
	if (piece_end(&p))
		element_done(r);
}

void rec_frame(struct record *r, const struct rec_frame *f)
{
	struct piece p;

	piece_begin(&p, r);
	if (r->depth >= REC_MAX_DEPTH)
		p.over = true;
	if (frame_in_place(&p, f)) {
		piece_end(&p);
		element_done(r);
		return;
	}
	frame_by_pieces(r, f);
}

void rec_bool_k(struct record *r, const char *key, size_t key_len, bool value)
{
	struct piece p;

	piece_begin(&p, r);
	put_key(&p, key, key_len);
	put_s(&p, value ? "true" : "false");
	if (piece_end(&p))
		element_done(r);
}

/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void put_digits(char *out, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* YYYY-MM-DDTHH:MM:SS of second secs into out[19]. */
static void format_second(int64_t secs, char *out)
{
	int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	unsigned sod = (unsigned)(secs - days * 86400);
	int64_t y;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		y = 0;
	put_digits(out, (unsigned)y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = 'T';
	put_digits(out + 11, sod / 3600, 2);
	out[13] = ':';
	put_digits(out + 14, sod / 60 % 60, 2);
	out[16] = ':';
	put_digits(out + 17, sod % 60, 2);
}

/* The last second this thread formatted: records come many to a second,
 * and its date and time of day cost most of a stamp.  seq is odd while it
 * is written: a signal handler that formats meanwhile neither uses nor
 * writes it, and a reader that a handler's write interrupted sees seq
 * moved and formats afresh.  (Per thread: no other thread ever sees it.) */
static __thread struct {
	volatile uint32_t seq; /* 0: never written */
	int64_t sec;
	char text[19];
} last_second __attribute__((tls_model("initial-exec")));

static bool cached_second(int64_t secs, char *out)
{
	uint32_t s = last_second.seq;

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (s == 0 || (s & 1) || last_second.sec != secs)
		return false;
	memcpy(out, last_second.text, sizeof last_second.text);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return last_second.seq == s;
}

static void keep_second(int64_t secs, const char *text)
{
	uint32_t s = last_second.seq;

	if (s & 1)
		return; /* this handler interrupted the thread's own write */
	last_second.seq = s + 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	last_second.sec = secs;
	memcpy(last_second.text, text, sizeof last_second.text);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	last_second.seq = s + 2;
}

void rec_format_time(const struct timespec *ts, char out[28])
{
	/* YYYY-MM-DDTHH:MM:SS.uuuuuuZ */
	if (!cached_second(ts->tv_sec, out)) {
		format_second(ts->tv_sec, out);
		keep_second(ts->tv_sec, out);
	}
	out[19] = '.';
	put_digits(out + 20, (unsigned)(ts->tv_nsec / 1000), 6);
	out[26] = 'Z';
	out[27] = '\0';
}

void rec_time_k(struct record *r, const char *key, size_t key_len, const struct timespec *ts)
{
	char buf[30];
	struct piece p;

	buf[0] = '"';
	rec_format_time(ts, buf + 1);
	buf[28] = '"';
	piece_begin(&p, r);
	put_key(&p, key, key_len);
	put(&p, buf, 29); /* digits and punctuation: nothing to escape */
	if (piece_end(&p))
		element_done(r);
}

static void container_begin(struct record *r, const char *key, size_t key_len, char open)
{
	struct piece p;

	piece_begin(&p, r);
	if (r->depth >= REC_MAX_DEPTH)
		p.over = true;
	put_key(&p, key, key_len);
	put_c(&p, open);
	if (piece_end(&p)) {
		element_done(r);
		r->closer[r->depth] = open == '[' ? ']' : '}';
		r->first[r->depth++] = true;
	} else {
		/* The matching end must then close nothing. */
		r->unopened++;
	}
}

static void container_end(struct record *r)
{
	if (r->unopened > 0) {
		r->unopened--;
	} else if (r->depth > 1) {
		/* The bracket always fits: REC_TAIL keeps room for it. */
		r->buf[r->len++] = r->closer[--r->depth];
	}
}

void rec_array_begin_k(struct record *r, const char *key, size_t key_len)
{
	container_begin(r, key, key_len, '[');
}

void rec_object_begin_k(struct record *r, const char *key, size_t key_len)
{
	container_begin(r, key, key_len, '{');
}

void rec_array_end(struct record *r)
{
	container_end(r);
}

void rec_object_end(struct record *r)
{
	container_end(r);
}

char *rec_elements_room(struct record *r, size_t room)
{
	size_t limit = r->cap > REC_TAIL ? r->cap - REC_TAIL : 0;

	if (r->full || r->unopened || r->depth < 2 || !r->first[r->depth - 1] || r->len > limit ||
	    room > limit - r->len)
		return NULL;
	return r->buf + r->len;
}

void rec_elements_done(struct record *r, size_t len)
{
	r->len += len;
	if (len)
		element_done(r);
}

void rec_members(struct record *r, const char *text, size_t len)
{
	struct piece p;

	if (len == 0)
		return; /* no member: no comma, and the next element needs none */
	piece_begin(&p, r);
	put_key(&p, NULL, 0); /* the comma */
	put(&p, text, len);
	if (piece_end(&p))
		element_done(r);
}

size_t rec_end(struct record *r)
{
	static const char trunc[] = ",\"truncated\":true";

	/* Callers close their own containers; this is a safety net. */
	r->unopened = 0;
	while (r->depth > 1)
		container_end(r);
	if (r->full || r->truncated) {
		/* without its comma when nothing came before it */
		size_t skip = r->first[0] ? 1 : 0;

		memcpy(r->buf + r->len, trunc + skip, sizeof trunc - 1 - skip);
		r->len += sizeof trunc - 1 - skip;
	}
	r->buf[r->len++] = '}';
	r->buf[r->len++] = '\n';
	return r->len;
}
