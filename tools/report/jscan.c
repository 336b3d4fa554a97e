/* The validating JSON scanner (see jscan.h).  Rules, as jansson 2.14
 * applies them to json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL): RFC 8259
 * grammar; strings of valid UTF-8 without control characters, escapes
 * \"\\\/\b\f\n\r\t and \uXXXX with surrogates in pairs, \u0000 in values
 * only (an abstract unix address as the shim writes it, NULs included:
 * regress_report_abstract_nul), never in keys; integers within
 * int64; reals that do not overflow a double; at most 2048 values deep;
 * whitespace around the value only. */
#include "jscan.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 2048

enum ctx { CTX_ANY, CTX_TOP, CTX_BT, CTX_FRAME };

struct scan {
	const unsigned char *end;
	int depth;
	struct jdoc *d;
	struct jframe *frame; /* the frame whose object is being read */
};

/* Bytes that end the fast part of a string: the quote, the backslash,
 * control characters and the bytes of multibyte UTF-8. */
static const unsigned char stop[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

static inline const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The 4 hex digits at P as a number; -1 if they are not. */
static long hex4(const unsigned char *p, const unsigned char *end)
{
	long v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);

		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* One escape, P just after the backslash (nul_ok: \u0000 allowed).
 * Returns where it ends. */
static const unsigned char *scan_escape(const unsigned char *p, const unsigned char *end,
					bool nul_ok)
{
	long v, v2;

	if (p >= end)
		return NULL;
	switch (*p) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
		return p + 1;
	case 'u':
		v = hex4(p + 1, end);
		if (v < 0 || (v == 0 && !nul_ok)) /* not hex, or \u0000 in a key */
			return NULL;
		p += 5;
		if (v >= 0xdc00 && v <= 0xdfff)
			return NULL;
		if (v >= 0xd800 && v <= 0xdbff) {
			if (end - p < 2 || p[0] != '\\' || p[1] != 'u')
				return NULL;
			v2 = hex4(p + 2, end);
			if (v2 < 0xdc00 || v2 > 0xdfff)
				return NULL;
			p += 6;
		}
		return p;
	default:
		return NULL;
	}
}

/* One UTF-8 character of more than one byte, at P.  Returns where it
 * ends; NULL if it is not valid (overlong, a surrogate, beyond U+10FFFF). */
static const unsigned char *scan_utf8(const unsigned char *p, const unsigned char *end)
{
	unsigned c = *p, n, v, i;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		v = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		v = c & 0x07;
	} else {
		return NULL;
	}
	if ((size_t)(end - p) <= n)
		return NULL;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return NULL;
		v = v << 6 | (p[i] & 0x3f);
	}
	if ((n == 2 && v < 0x800) || (n == 3 && v < 0x10000) || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return NULL;
	return p + n + 1;
}

/* A string, P just after its opening quote (key: an object's key, where
 * jansson takes no \u0000).  Returns its closing quote. */
static const unsigned char *scan_string(const struct scan *s, const unsigned char *p, bool *esc,
					bool key)
{
	for (;;) {
		/* P[n] < 0x20 (see js_scan) stops this at the end at the latest */
		while (!stop[*p])
			p++;
		if (p >= s->end)
			return NULL;
		if (*p == '"')
			return p;
		if (*p == '\\') {
			*esc = true;
			p = scan_escape(p + 1, s->end, !key);
		} else if (*p < 0x20) {
			return NULL;
		} else {
			p = scan_utf8(p, s->end);
		}
		if (!p)
			return NULL;
	}
}

static inline bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static const unsigned char *scan_number(const unsigned char *p, const unsigned char *end, uint8_t *type)
{
	const unsigned char *start = p, *digits;
	bool neg = false, real = false;
	size_t nd;

	if (*p == '-') {
		neg = true;
		p++;
	}
	digits = p;
	if (p >= end)
		return NULL;
	if (*p == '0') {
		p++;
		if (p < end && is_digit(*p))
			return NULL;
	} else if (is_digit(*p)) {
		while (p < end && is_digit(*p))
			p++;
	} else {
		return NULL;
	}
	nd = (size_t)(p - digits);
	if (p < end && *p == '.') {
		p++;
		if (p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
		real = true;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
		real = true;
	}
	if (real) {
		/* strtod stops at the number's end: what follows is a JSON
		 * delimiter or the byte below 0x20 after the text */
		double v = strtod((const char *)start, NULL);

		if (v == __builtin_huge_val() || v == -__builtin_huge_val())
			return NULL;
		*type = JT_REAL;
	} else {
		if (nd > 19 || (nd == 19 && memcmp(digits, neg ? "9223372036854775808" : "9223372036854775807", 19) > 0))
			return NULL;
		*type = JT_INT;
	}
	return p;
}

static int top_key(const char *k, size_t n)
{
	switch (n) {
	case 2:
		return memcmp(k, "ts", 2) == 0 ? K_TS : -1;
	case 3:
		return memcmp(k, "pid", 3) == 0 ? K_PID : -1;
	case 4:
		if (memcmp(k, "host", 4) == 0)
			return K_HOST;
		if (memcmp(k, "prog", 4) == 0)
			return K_PROG;
		if (memcmp(k, "peer", 4) == 0)
			return K_PEER;
		if (memcmp(k, "site", 4) == 0)
			return K_SITE;
		return -1;
	case 5:
		if (memcmp(k, "event", 5) == 0)
			return K_EVENT;
		if (memcmp(k, "errno", 5) == 0)
			return K_ERRNO;
		if (memcmp(k, "count", 5) == 0)
			return K_COUNT;
		return -1;
	case 6:
		return memcmp(k, "family", 6) == 0 ? K_FAMILY : -1;
	case 7:
		if (memcmp(k, "dropped", 7) == 0)
			return K_DROPPED;
		return memcmp(k, "MESSAGE", 7) == 0 ? K_MESSAGE : -1;
	case 8:
		return memcmp(k, "__CURSOR", 8) == 0 ? K_J_CURSOR : -1;
	case 9:
		if (memcmp(k, "truncated", 9) == 0)
			return K_TRUNCATED;
		if (memcmp(k, "backtrace", 9) == 0)
			return K_BACKTRACE;
		if (memcmp(k, "_HOSTNAME", 9) == 0)
			return K_J_HOSTNAME;
		return -1;
	case 14:
		return memcmp(k, "lang_backtrace", 14) == 0 ? K_LANG_BACKTRACE : -1;
	case 15:
		return memcmp(k, "SOCKSHIM_RECORD", 15) == 0 ? K_SOCKSHIM_RECORD : -1;
	case 16:
		return memcmp(k, "suppressed_event", 16) == 0 ? K_SUPPRESSED_EVENT : -1;
	case 17:
		return memcmp(k, "SYSLOG_IDENTIFIER", 17) == 0 ? K_J_SYSLOG_IDENTIFIER : -1;
	case 20:
		return memcmp(k, "__REALTIME_TIMESTAMP", 20) == 0 ? K_J_REALTIME : -1;
	}
	return -1;
}

static struct jspan *frame_slot(struct jframe *f, const char *k, size_t n)
{
	if (n == 6 && memcmp(k, "module", 6) == 0)
		return &f->module;
	if (n == 6 && memcmp(k, "offset", 6) == 0)
		return &f->offset;
	if (n == 8 && memcmp(k, "build_id", 8) == 0)
		return &f->build_id;
	return NULL;
}

static const unsigned char *scan_value(struct scan *s, const unsigned char *p, struct jspan *out, enum ctx ctx);

static const unsigned char *scan_object(struct scan *s, const unsigned char *p, enum ctx ctx)
{
	struct jframe *frame = s->frame;

	p = skip_ws(p, s->end);
	if (p < s->end && *p == '}')
		return p + 1;
	for (;;) {
		const unsigned char *q;
		struct jspan *slot = NULL;
		enum ctx sub = CTX_ANY;
		bool esc = false;

		if (p >= s->end || *p != '"')
			return NULL;
		q = scan_string(s, p + 1, &esc, true);
		if (!q)
			return NULL;
		if (ctx == CTX_TOP || ctx == CTX_FRAME) {
			/* a key spelled with escapes is the key it decodes to */
			struct jspan key = {(const char *)p + 1, (uint32_t)(q - p - 1), JT_STRING, esc};
			char buf[32];
			size_t n = 0;
			const char *k = key.n < sizeof buf ? js_string(&key, buf, sizeof buf, &n) : NULL;

			if (k && ctx == CTX_TOP) {
				int i = top_key(k, n);

				if (i >= 0) {
					slot = &s->d->k[i];
					if (i == K_BACKTRACE) {
						s->d->nframes = 0;
						sub = CTX_BT;
					}
				}
			} else if (k && frame) {
				slot = frame_slot(frame, k, n);
			}
		}
		p = skip_ws(q + 1, s->end);
		if (p >= s->end || *p != ':')
			return NULL;
		p = skip_ws(p + 1, s->end);
		if (p >= s->end)
			return NULL;
		p = scan_value(s, p, slot, sub);
		if (!p)
			return NULL;
		p = skip_ws(p, s->end);
		if (p >= s->end)
			return NULL;
		if (*p == '}')
			return p + 1;
		if (*p != ',')
			return NULL;
		p = skip_ws(p + 1, s->end);
	}
}

static const unsigned char *scan_array(struct scan *s, const unsigned char *p, enum ctx ctx)
{
	p = skip_ws(p, s->end);
	if (p < s->end && *p == ']')
		return p + 1;
	for (;;) {
		enum ctx sub = CTX_ANY;

		if (p >= s->end)
			return NULL;
		if (ctx == CTX_BT) {
			uint32_t i = s->d->nframes++;

			s->frame = NULL;
			if (i < JS_MAX_FRAMES) {
				memset(&s->d->frames[i], 0, sizeof s->d->frames[i]);
				s->frame = &s->d->frames[i];
				sub = CTX_FRAME;
			}
		}
		p = scan_value(s, p, NULL, sub);
		if (!p)
			return NULL;
		p = skip_ws(p, s->end);
		if (p >= s->end)
			return NULL;
		if (*p == ']')
			return p + 1;
		if (*p != ',')
			return NULL;
		p = skip_ws(p + 1, s->end);
	}
}

static const unsigned char *literal(const unsigned char *p, const unsigned char *end, const char *word, size_t n)
{
	return (size_t)(end - p) >= n && memcmp(p, word, n) == 0 ? p + n : NULL;
}

/* One value at P (not whitespace, before the end). */
static const unsigned char *scan_value(struct scan *s, const unsigned char *p, struct jspan *out, enum ctx ctx)
{
	const unsigned char *start = p, *q;
	uint8_t type;
	bool esc = false;

	if (++s->depth > MAX_DEPTH)
		return NULL;
	switch (*p) {
	case '"':
		q = scan_string(s, p + 1, &esc, false);
		if (!q)
			return NULL;
		s->depth--;
		if (out) {
			out->p = (const char *)p + 1;
			out->n = (uint32_t)(q - p - 1);
			out->type = JT_STRING;
			out->esc = esc;
		}
		return q + 1;
	case '{':
		if (ctx != CTX_TOP && ctx != CTX_FRAME)
			s->frame = NULL;
		p = scan_object(s, p + 1, ctx == CTX_TOP || ctx == CTX_FRAME ? ctx : CTX_ANY);
		s->frame = NULL;
		type = JT_OBJECT;
		break;
	case '[':
		p = scan_array(s, p + 1, ctx == CTX_BT ? CTX_BT : CTX_ANY);
		type = JT_ARRAY;
		break;
	case 't':
		p = literal(p, s->end, "true", 4);
		type = JT_TRUE;
		break;
	case 'f':
		p = literal(p, s->end, "false", 5);
		type = JT_FALSE;
		break;
	case 'n':
		p = literal(p, s->end, "null", 4);
		type = JT_NULL;
		break;
	default:
		p = scan_number(p, s->end, &type);
		break;
	}
	if (!p)
		return NULL;
	s->depth--;
	if (out) {
		out->p = (const char *)start;
		out->n = (uint32_t)(p - start);
		out->type = type;
		out->esc = 0;
	}
	/* jansson reads one byte past a number or a word to see where it
	 * ends, and a NUL it puts back is lost: it skips one NUL there */
	if (type != JT_OBJECT && type != JT_ARRAY && p < s->end && *p == '\0')
		p++;
	return p;
}

bool js_scan(const char *text, size_t n, struct jdoc *d)
{
	struct scan s = {(const unsigned char *)text + n, 0, d, NULL};
	const unsigned char *p;
	struct jspan top;

	memset(d->k, 0, sizeof d->k);
	d->nframes = 0;
	d->top = JT_NONE;
	/* a span's length is 32 bits */
	if (n > UINT32_MAX)
		return false;
	p = skip_ws((const unsigned char *)text, s.end);
	if (p >= s.end)
		return false;
	p = scan_value(&s, p, &top, CTX_TOP);
	if (!p || skip_ws(p, s.end) != s.end)
		return false;
	d->top = top.type;
	return true;
}

static size_t utf8_put(char *out, unsigned long v)
{
	if (v < 0x80) {
		out[0] = (char)v;
		return 1;
	}
	if (v < 0x800) {
		out[0] = (char)(0xc0 | v >> 6);
		out[1] = (char)(0x80 | (v & 0x3f));
		return 2;
	}
	if (v < 0x10000) {
		out[0] = (char)(0xe0 | v >> 12);
		out[1] = (char)(0x80 | (v >> 6 & 0x3f));
		out[2] = (char)(0x80 | (v & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | v >> 18);
	out[1] = (char)(0x80 | (v >> 12 & 0x3f));
	out[2] = (char)(0x80 | (v >> 6 & 0x3f));
	out[3] = (char)(0x80 | (v & 0x3f));
	return 4;
}

const char *js_string(const struct jspan *s, char *buf, size_t cap, size_t *len)
{
	const unsigned char *p, *end;
	size_t o = 0;

	if (s->type != JT_STRING)
		return NULL;
	p = (const unsigned char *)s->p;
	end = p + s->n;
	if (!s->esc) {
		*len = s->n;
		return s->p;
	}
	/* every escape decodes to no more bytes than it has: \uXXXX (6) to
	 * at most 3, a pair (12) to 4 */
	if (cap < (size_t)s->n + 1)
		return NULL;
	while (p < end) {
		unsigned long v;

		if (*p != '\\') {
			buf[o++] = (char)*p++;
			continue;
		}
		switch (p[1]) {
		case 'b': buf[o++] = '\b'; break;
		case 'f': buf[o++] = '\f'; break;
		case 'n': buf[o++] = '\n'; break;
		case 'r': buf[o++] = '\r'; break;
		case 't': buf[o++] = '\t'; break;
		case 'u':
			v = (unsigned long)hex4(p + 2, end);
			if (v >= 0xd800 && v <= 0xdbff) {
				v = 0x10000 + ((v - 0xd800) << 10) + ((unsigned long)hex4(p + 8, end) - 0xdc00);
				p += 6;
			}
			o += utf8_put(buf + o, v);
			p += 6;
			continue;
		default: buf[o++] = (char)p[1]; break;
		}
		p += 2;
	}
	buf[o] = '\0';
	*len = o;
	return buf;
}

bool js_int(const struct jspan *s, int64_t *v)
{
	const char *p, *end;
	bool neg = false;
	uint64_t u = 0;

	if (s->type != JT_INT)
		return false;
	p = s->p;
	end = p + s->n;
	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	for (; p < end; p++)
		u = u * 10 + (uint64_t)(*p - '0');
	/* js_scan kept it within int64 */
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}
