/* Framing of records for syslog and journald (see logframe.h). */
#include "logframe.h"

#include <string.h>

#include "record.h"
#include "sockshim.h"

/* ---- syslog ------------------------------------------------------------ */

static size_t put_uint(char *out, uint64_t v)
{
	char digits[20], *d = rec_digits(v, 10, digits + sizeof digits);
	size_t n = (size_t)(digits + sizeof digits - d);

	memcpy(out, d, n);
	return n;
}

size_t logframe_syslog_head(char *out, int pri, int64_t local, int pid)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct timespec ts = {(time_t)local, 0};
	char iso[28]; /* YYYY-MM-DDTHH:MM:SS.uuuuuuZ: the calendar without tzdata */
	size_t n = 0;
	unsigned month;

	rec_format_time(&ts, iso);
	month = (unsigned)(iso[5] - '0') * 10 + (unsigned)(iso[6] - '0');
	if (month < 1 || month > 12)
		month = 1;
	out[n++] = '<';
	n += put_uint(out + n, (uint64_t)(pri < 0 ? 0 : pri));
	out[n++] = '>';
	memcpy(out + n, months + 3 * (month - 1), 3); /* %h */
	n += 3;
	out[n++] = ' ';
	out[n++] = iso[8] == '0' ? ' ' : iso[8]; /* %e: the day, space-padded */
	out[n++] = iso[9];
	out[n++] = ' ';
	memcpy(out + n, iso + 11, 8); /* %T */
	n += 8;
	out[n++] = ' ';
	memcpy(out + n, SHIM_LOG_TAG "[", sizeof SHIM_LOG_TAG);
	n += sizeof SHIM_LOG_TAG;
	n += put_uint(out + n, (uint64_t)(pid < 0 ? 0 : pid));
	memcpy(out + n, "]: ", 3);
	return n + 3;
}

/* ---- the JSON scanner -------------------------------------------------- */

static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* s[*i] is '"': moves *i past the closing quote. */
static bool skip_string(const char *s, size_t len, size_t *i)
{
	for (size_t k = *i + 1; k < len; k++) {
		if (s[k] == '\\')
			k++;
		else if (s[k] == '"') {
			*i = k + 1;
			return true;
		}
	}
	return false;
}

/* Moves *i past one value. */
static bool skip_value(const char *s, size_t len, size_t *i)
{
	size_t k = *i, depth = 0;

	if (k >= len)
		return false;
	if (s[k] == '"')
		return skip_string(s, len, i);
	if (s[k] != '{' && s[k] != '[') { /* a number or a literal */
		while (k < len && s[k] != ',' && s[k] != '}' && s[k] != ']' && s[k] != ' ' &&
		       s[k] != '\n' && s[k] != '\t' && s[k] != '\r')
			k++;
		if (k == *i)
			return false;
		*i = k;
		return true;
	}
	while (k < len) {
		char c = s[k];

		if (c == '"') {
			if (!skip_string(s, len, &k))
				return false;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0) {
			*i = k + 1;
			return true;
		}
		k++;
	}
	return false;
}

bool logframe_json_get(const char *s, size_t len, const char *key, struct logframe_span *v)
{
	size_t klen = strlen(key), i = skip_ws(s, len, 0);

	if (i >= len || s[i] != '{')
		return false;
	i = skip_ws(s, len, i + 1);
	while (i < len && s[i] == '"') {
		size_t kstart = i + 1, kend, vstart;

		if (!skip_string(s, len, &i))
			return false;
		kend = i - 1;
		i = skip_ws(s, len, i);
		if (i >= len || s[i] != ':')
			return false;
		i = skip_ws(s, len, i + 1);
		vstart = i;
		if (!skip_value(s, len, &i))
			return false;
		if (kend - kstart == klen && memcmp(s + kstart, key, klen) == 0) {
			v->string = s[vstart] == '"';
			v->p = s + vstart + v->string;
			v->n = i - vstart - 2 * v->string;
			return true;
		}
		i = skip_ws(s, len, i);
		if (i >= len || s[i] != ',')
			return false;
		i = skip_ws(s, len, i + 1);
	}
	return false;
}

bool logframe_json_first_symbol(const char *s, size_t len, struct logframe_span *v)
{
	struct logframe_span bt;
	size_t i;

	if (!logframe_json_get(s, len, "backtrace", &bt) || bt.string || bt.n < 2 || bt.p[0] != '[')
		return false;
	i = skip_ws(bt.p, bt.n, 1);
	if (i >= bt.n || bt.p[i] != '{')
		return false;
	return logframe_json_get(bt.p + i, bt.n - i, "symbol", v) && v->string;
}

static int hex4(const char *s, size_t n, size_t i)
{
	int v = 0;

	if (i + 4 > n)
		return -1;
	for (size_t k = i; k < i + 4; k++) {
		char c = s[k];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* UTF-8 of code point cp into b (4 bytes); its length. */
static size_t utf8(unsigned cp, char *b)
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | cp >> 18);
	b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	b[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

size_t logframe_json_unescape(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0, i = 0;

	while (i < n) {
		char b[4];
		size_t bn;
		unsigned char c = (unsigned char)s[i];

		if (c != '\\') {
			/* a whole UTF-8 sequence, or nothing of it */
			bn = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
			if (bn > n - i)
				bn = n - i;
			if (bn > cap - o)
				break;
			memcpy(out + o, s + i, bn);
			o += bn;
			i += bn;
			continue;
		}
		if (i + 1 >= n)
			break;
		switch (s[i + 1]) {
		case 'b': b[0] = '\b'; bn = 1; break;
		case 'f': b[0] = '\f'; bn = 1; break;
		case 'n': b[0] = '\n'; bn = 1; break;
		case 'r': b[0] = '\r'; bn = 1; break;
		case 't': b[0] = '\t'; bn = 1; break;
		case 'u': {
			int hi = hex4(s, n, i + 2);
			unsigned cp = 0xfffd;
			size_t used = 6;

			if (hi >= 0xd800 && hi < 0xdc00 && i + 7 < n && s[i + 6] == '\\' &&
			    s[i + 7] == 'u') {
				int lo = hex4(s, n, i + 8);

				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + (((unsigned)hi - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
					used = 12;
				}
			} else if (hi >= 0 && (hi < 0xd800 || hi >= 0xe000)) {
				cp = (unsigned)hi;
			}
			if (hi < 0)
				used = 2;
			bn = utf8(cp, b);
			if (bn > cap - o)
				return o;
			memcpy(out + o, b, bn);
			o += bn;
			i += used;
			continue;
		}
		default: b[0] = s[i + 1]; bn = 1; break; /* \" \\ \/ */
		}
		if (bn > cap - o)
			break;
		out[o++] = b[0];
		i += 2;
	}
	return o;
}

/* ---- journald ---------------------------------------------------------- */

void logframe_journal_begin(struct logframe_journal *m)
{
	m->n_iov = 0;
	m->used = 0;
	m->full = false;
}

void logframe_journal_add(struct logframe_journal *m, const char *key, const char *value, size_t n)
{
	size_t klen = strlen(key);
	bool binary = memchr(value, '\n', n) || memchr(value, '\0', n);
	size_t head = klen + 1 + (binary ? 8 : 0);
	char *h = m->bytes + m->used;

	if (m->n_iov + 3 > LOGFRAME_JOURNAL_IOV || head > sizeof m->bytes - m->used) {
		m->full = true;
		return;
	}
	memcpy(h, key, klen);
	if (binary) {
		uint64_t len = n;

		h[klen] = '\n';
		for (int k = 0; k < 8; k++) /* little endian, whatever the host */
			h[klen + 1 + k] = (char)(len >> (8 * k) & 0xff);
	} else {
		h[klen] = '=';
	}
	m->used += head;
	m->iov[m->n_iov++] = (struct iovec){h, head};
	if (n > 0)
		m->iov[m->n_iov++] = (struct iovec){(void *)value, n};
	m->iov[m->n_iov++] = (struct iovec){(void *)"\n", 1};
}

/* Room for a copied value of field key: what is left once its head is
 * kept free, and no more than LOGFRAME_JOURNAL_VALUE_MAX (one long value
 * must leave room for the others). */
static size_t copy_room(const struct logframe_journal *m, const char *key)
{
	size_t room = sizeof m->bytes - m->used, head = strlen(key) + 1 + 8;

	room = room > head ? room - head : 0;
	return room < LOGFRAME_JOURNAL_VALUE_MAX ? room : LOGFRAME_JOURNAL_VALUE_MAX;
}

void logframe_journal_add_copy(struct logframe_journal *m, const char *key, const char *value,
			       size_t n)
{
	size_t room = copy_room(m, key);
	char *c = m->bytes + m->used;

	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)value[n] & 0xc0) == 0x80)
			n--; /* not in the middle of a character */
	}
	memcpy(c, value, n);
	m->used += n;
	logframe_journal_add(m, key, c, n);
}

/* A value of the record as a field: a string unescaped (copied only when
 * it has escapes), a number as its text; containers are not fields. */
static void add_from_json(struct logframe_journal *m, const char *field, const struct logframe_span *v,
			  bool cut_offset)
{
	const char *p = v->p;
	size_t n = v->n;

	if (!v->string && (n == 0 || p[0] == '{' || p[0] == '['))
		return;
	if (v->string && memchr(p, '\\', n)) {
		char *c = m->bytes + m->used;

		n = logframe_json_unescape(p, n, c, copy_room(m, field));
		p = c;
		m->used += n;
	}
	if (cut_offset) { /* "name+0x1f" -> "name" */
		for (size_t k = n; k-- > 0;) {
			if (p[k] == '+') {
				n = k;
				break;
			}
		}
	}
	if (n > 0)
		logframe_journal_add(m, field, p, n);
}

void logframe_journal_record(struct logframe_journal *m, const char *line, size_t len,
			     int priority)
{
	static const struct {
		const char *field, *key;
	} from_record[] = {
		{SHIM_JOURNAL_EVENT, "event"},	 {SHIM_JOURNAL_SITE, "site"},
		{SHIM_JOURNAL_PEER, "peer"},	 {SHIM_JOURNAL_LOCAL, "local"},
		{SHIM_JOURNAL_REASON, "reason"}, {SHIM_JOURNAL_ERRNO, "errno"},
	};
	struct logframe_span v;
	char pri = (char)('0' + (priority >= 0 && priority <= 7 ? priority : 6));

	if (len > 0 && line[len - 1] == '\n')
		len--;
	/* The fields every record has first: those from the record's own
	 * fields are cut, or left out, if the room runs short. */
	logframe_journal_begin(m);
	logframe_journal_add(m, "MESSAGE", line, len);
	logframe_journal_add(m, SHIM_JOURNAL_RECORD, line, len);
	logframe_journal_add_copy(m, "PRIORITY", &pri, 1);
	logframe_journal_add(m, "SYSLOG_IDENTIFIER", SHIM_LOG_TAG, sizeof SHIM_LOG_TAG - 1);
	for (size_t i = 0; i < sizeof from_record / sizeof from_record[0]; i++)
		if (logframe_json_get(line, len, from_record[i].key, &v))
			add_from_json(m, from_record[i].field, &v, false);
	if (logframe_json_first_symbol(line, len, &v))
		add_from_json(m, "CODE_FUNC", &v, true);
}

size_t logframe_journal_size(const struct logframe_journal *m)
{
	size_t n = 0;

	for (int i = 0; i < m->n_iov; i++)
		n += m->iov[i].iov_len;
	return n;
}
