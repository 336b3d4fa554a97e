/* Line formats (see input.h). */
#include "input.h"

#include <string.h>

const char *const fmt_names[FMT_N] = {
	[FMT_JSONL] = "jsonl",
	[FMT_SYSLOG] = "syslog",
	[FMT_SYSLOG_3339] = "syslog-rfc3339",
	[FMT_SYSLOG_5424] = "syslog-rfc5424",
	[FMT_JOURNALD] = "journald",
};

const char *const bad_names[BAD_N] = {
	[BAD_NOT_JSON] = "not JSON",
	[BAD_NOT_OBJECT] = "not an object",
	[BAD_NO_EVENT] = "no event",
	[BAD_TOO_LONG] = "too long",
	[BAD_JOURNAL_NULL] = "journal field left out (journalctl without --all)",
};

/* The syslog tag (RFC 3164) and APP-NAME (RFC 5424) the shim sends with. */
#define TAG "sockshim"
#define TAG_LEN (sizeof TAG - 1)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(p[i]))
			return false;
	return true;
}

/* A syslog header's token: printable ASCII up to a space.  Returns its
 * end (the space), or NULL if there is none or it holds anything else. */
static const char *token(const char *p, const char *end)
{
	const char *s = p;

	while (p < end && *p != ' ') {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return NULL;
		p++;
	}
	return p < end && p > s ? p : NULL;
}

static const char *skip_spaces(const char *p, const char *end)
{
	while (p < end && *p == ' ')
		p++;
	return p;
}

static void set_host(struct line *l, const char *p, size_t n)
{
	l->host.p = p;
	l->host.n = (uint32_t)n;
	l->host.type = JT_STRING;
	l->host.esc = 0;
	/* RFC 5424's nil value */
	if (n == 1 && *p == '-')
		l->host.type = JT_NONE;
}

static bool span_is(const struct jspan *s, const char *word)
{
	size_t n = strlen(word);

	return s->type == JT_STRING && !s->esc && s->n == n && memcmp(s->p, word, n) == 0;
}

/* The record JSON at P..END, from the collector of format F. */
static void take_json(struct line *l, const char *p, const char *end, enum fmt f, struct jdoc *d)
{
	l->fmt = f;
	l->json = p;
	l->json_len = (size_t)(end - p);
	l->rec = d;
	if (!js_scan(p, l->json_len, d)) {
		l->kind = LINE_BAD;
		l->bad = BAD_NOT_JSON;
	} else if (d->top != JT_OBJECT) {
		l->kind = LINE_BAD;
		l->bad = BAD_NOT_OBJECT;
	} else if (d->k[K_EVENT].type != JT_STRING) {
		l->kind = LINE_BAD;
		l->bad = BAD_NO_EVENT;
	} else {
		l->kind = LINE_RECORD;
	}
}

/* A message of another program that is a record all the same: a shim
 * from before the fixed tag logged to syslog under the program's name. */
static bool looks_like_record(const struct jdoc *d)
{
	return d->top == JT_OBJECT && d->k[K_EVENT].type == JT_STRING && d->k[K_TS].type == JT_STRING &&
	       d->k[K_PID].type == JT_INT && d->k[K_PROG].type == JT_STRING;
}

/* The message of a syslog line whose program (tag or APP-NAME) is
 * NAME..NAME_END. */
static void take_message(struct line *l, const char *name, const char *name_end, const char *msg,
			 const char *end, enum fmt f)
{
	bool ours = (size_t)(name_end - name) == TAG_LEN && memcmp(name, TAG, TAG_LEN) == 0;

	msg = skip_spaces(msg, end);
	/* RFC 5424 allows a byte order mark before a UTF-8 message */
	if (f == FMT_SYSLOG_5424 && end - msg >= 3 && memcmp(msg, "\xef\xbb\xbf", 3) == 0)
		msg += 3;
	if (ours) {
		take_json(l, msg, end, f, &l->outer);
		return;
	}
	if (msg < end && *msg == '{') {
		take_json(l, msg, end, f, &l->outer);
		if (l->kind == LINE_RECORD && looks_like_record(l->rec))
			return;
	}
	l->kind = LINE_OTHER;
	l->host.type = JT_NONE;
}

/* Our tag without its colon, P..T (T the space after it), followed by the
 * record: rsyslog's legacy file templates (RSYSLOG_FileFormat, Debian's
 * default, RSYSLOG_TraditionalFileFormat, RSYSLOG_ForwardFormat) write
 * the syslogtag of a message that came in RFC 5424, as the shipped
 * forwarder sends it, as "APP-NAME[PROCID]", or the APP-NAME alone for a
 * nil PROCID: "HOST sockshim[PID] {json}" (the sweep's F3: such lines
 * were other programs', whole hosts missing from the totals).  Exactly
 * "sockshim[DIGITS]" (or "sockshim" when BARE, after a host: where the
 * host may be missing, a host named sockshim comes first), and then "{".
 * Returns where the tag's name ends. */
static const char *tag_without_colon(const char *p, const char *t, const char *end, bool bare)
{
	size_t n = (size_t)(t - p);

	if (n < TAG_LEN || memcmp(p, TAG, TAG_LEN) != 0)
		return NULL;
	if (n == TAG_LEN ? !bare
			 : n < TAG_LEN + 3 || p[TAG_LEN] != '[' || t[-1] != ']' ||
				   !all_digits(p + TAG_LEN + 1, n - TAG_LEN - 2))
		return NULL;
	t = skip_spaces(t, end);
	return t < end && *t == '{' ? p + TAG_LEN : NULL;
}

/* "HOST TAG: MSG" after an RFC 3164 or RFC 3339 timestamp (and its
 * space); our tag may come without its colon (tag_without_colon).  The
 * tag alone (a datagram as sent to /dev/log has no host) is taken too.
 * Returns false if this is not it. */
static bool parse_3164_rest(struct line *l, const char *p, const char *end, enum fmt f)
{
	const char *t = token(p, end), *tag, *name_end;

	if (!t)
		return false;
	if (t[-1] == ':') {
		tag = p;
	} else if ((name_end = tag_without_colon(p, t, end, false))) {
		take_message(l, p, name_end, t, end, f);
		return true;
	} else {
		set_host(l, p, (size_t)(t - p));
		tag = t + 1;
		t = token(tag, end);
		if (t && (name_end = tag_without_colon(tag, t, end, true))) {
			take_message(l, tag, name_end, t, end, f);
			return true;
		}
		if (!t || t[-1] != ':') {
			/* a syslog line without a tag ("last message repeated
			 * 5 times"): not a program of ours */
			l->kind = LINE_OTHER;
			l->host.type = JT_NONE;
			return true;
		}
	}
	/* "sockshim[123]:" or "sockshim:" */
	name_end = memchr(tag, '[', (size_t)(t - tag));
	if (!name_end)
		name_end = t - 1;
	take_message(l, tag, name_end, t, end, f);
	return true;
}

static const char *const months = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* "Nov 30 10:00:00 " or "Nov  3 10:00:00 " */
static bool parse_3164(struct line *l, const char *p, const char *end)
{
	bool month = false;

	if (end - p < 16)
		return false;
	for (int i = 0; i < 12 && !month; i++)
		month = memcmp(p, months + 3 * i, 3) == 0;
	if (!month || p[3] != ' ' || (p[4] != ' ' && !is_digit(p[4])) || !is_digit(p[5]) || p[6] != ' ' ||
	    !all_digits(p + 7, 2) || p[9] != ':' || !all_digits(p + 10, 2) || p[12] != ':' ||
	    !all_digits(p + 13, 2) || p[15] != ' ')
		return false;
	return parse_3164_rest(l, p + 16, end, FMT_SYSLOG);
}

/* "2026-11-30T10:00:00.123456+00:00": the date and the T, then anything
 * up to the space.  Returns where the space is. */
static const char *rfc3339_stamp(const char *p, const char *end)
{
	if (end - p < 20 || !all_digits(p, 4) || p[4] != '-' || !all_digits(p + 5, 2) || p[7] != '-' ||
	    !all_digits(p + 8, 2) || p[10] != 'T')
		return NULL;
	return token(p, end);
}

static bool parse_3339(struct line *l, const char *p, const char *end)
{
	const char *t = rfc3339_stamp(p, end);

	return t && parse_3164_rest(l, t + 1, end, FMT_SYSLOG_3339);
}

/* The STRUCTURED-DATA of RFC 5424: "-" or [ID PARAM="VALUE" ...]...,
 * where a VALUE escapes '"', '\' and ']' with a backslash.  Returns its
 * end. */
static const char *sd_end(const char *p, const char *end)
{
	if (p < end && *p == '-')
		return p + 1;
	if (p >= end || *p != '[')
		return NULL;
	while (p < end && *p == '[') {
		bool quoted = false;

		for (p++; p < end; p++) {
			if (quoted && *p == '\\' && p + 1 < end)
				p++;
			else if (*p == '"')
				quoted = !quoted;
			else if (!quoted && *p == ']')
				break;
		}
		if (p >= end)
			return NULL;
		p++;
	}
	return p;
}

/* "1 TIMESTAMP HOST APP PROCID MSGID SD MSG", the <PRI> already read */
static bool parse_5424(struct line *l, const char *p, const char *end)
{
	const char *ts, *host, *app, *app_end, *procid, *msgid, *sd;

	if (end - p < 2 || p[0] != '1' || p[1] != ' ')
		return false;
	ts = p + 2;
	if (!(host = token(ts, end)) || !(app = token(++host, end)) || !(app_end = token(++app, end)) ||
	    !(procid = token(app_end + 1, end)) || !(msgid = token(procid + 1, end)))
		return false;
	sd = sd_end(msgid + 1, end);
	if (!sd || (sd < end && *sd != ' '))
		return false;
	set_host(l, host, (size_t)(app - 1 - host));
	take_message(l, app, app_end, sd, end, FMT_SYSLOG_5424);
	return true;
}

/* journalctl -o json prints a field that is not valid UTF-8 (or holds
 * control characters) as an array of its bytes. */
static const char *byte_array(const struct jspan *s, char *buf, size_t cap, size_t *len)
{
	const char *p = s->p, *end = p + s->n;
	size_t o = 0;

	for (p++; p < end; p++) {
		unsigned v = 0;

		if (!is_digit(*p))
			continue;
		while (p < end && is_digit(*p))
			v = v * 10 + (unsigned)(*p++ - '0');
		if (v > 255 || o + 1 >= cap)
			return NULL;
		buf[o++] = (char)v;
	}
	buf[o] = '\0';
	*len = o;
	return buf;
}

/* A journald field's value, decoded into the scratch buffer (NUL after
 * it, for js_scan).  NULL if it is not a string or an array of bytes. */
static const char *journal_field(struct line *l, const struct jspan *s, size_t *len)
{
	const char *v;

	if (s->type == JT_ARRAY)
		return byte_array(s, l->scratch, sizeof l->scratch, len);
	v = js_string(s, l->scratch, sizeof l->scratch, len);
	if (v && v != l->scratch) {
		memcpy(l->scratch, v, *len);
		l->scratch[*len] = '\0';
		v = l->scratch;
	}
	return v;
}

static bool is_journal_entry(const struct jdoc *d)
{
	return d->k[K_SOCKSHIM_RECORD].type || d->k[K_MESSAGE].type || d->k[K_J_CURSOR].type ||
	       d->k[K_J_REALTIME].type || d->k[K_J_HOSTNAME].type;
}

static void parse_journal(struct line *l)
{
	const struct jdoc *o = &l->outer;
	const struct jspan *field = &o->k[K_SOCKSHIM_RECORD];
	bool ours = field->type != JT_NONE || span_is(&o->k[K_J_SYSLOG_IDENTIFIER], TAG);
	const char *text;
	size_t n;

	l->fmt = FMT_JOURNALD;
	if (o->k[K_J_HOSTNAME].type == JT_STRING)
		l->host = o->k[K_J_HOSTNAME];
	/* the full record; else the message, as for records that came
	 * through syslog into the journal */
	if (field->type == JT_NONE)
		field = &o->k[K_MESSAGE];
	/* journalctl without --all prints a field of 4096 bytes or more (its
	 * name included) as null: SOCKSHIM_RECORD, 16 bytes of name, from a
	 * record of 4080; MESSAGE, 8, holds up to 4087 whole
	 * (test_report_input.c:
	 * test_regress_report_journal_null_record) */
	if (field->type == JT_NULL &&
	    (o->k[K_MESSAGE].type == JT_STRING || o->k[K_MESSAGE].type == JT_ARRAY))
		field = &o->k[K_MESSAGE];
	if (field->type == JT_NULL && ours) {
		l->kind = LINE_BAD;
		l->bad = BAD_JOURNAL_NULL;
		return;
	}
	text = journal_field(l, field, &n);
	if (ours && text) {
		take_json(l, text, text + n, FMT_JOURNALD, &l->inner);
		return;
	}
	if (text && n > 0 && text[0] == '{') {
		take_json(l, text, text + n, FMT_JOURNALD, &l->inner);
		if (l->kind == LINE_RECORD && looks_like_record(l->rec))
			return;
	}
	l->kind = ours ? LINE_BAD : LINE_OTHER;
	l->bad = BAD_NO_EVENT;
	if (!ours)
		l->host.type = JT_NONE;
}

void line_parse(struct line *l, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	l->kind = LINE_BAD;
	l->bad = BAD_NOT_JSON;
	l->fmt = FMT_JSONL;
	l->host.type = JT_NONE;
	l->rec = &l->outer;
	l->json = text;
	l->json_len = len;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end) {
		l->kind = LINE_BLANK;
		return;
	}
	if (*p != '{') {
		/* a collector's line; what is none is judged as JSON below */
		if (*p == '<') {
			const char *q = p + 1;

			while (q < end && q - p <= 4 && is_digit(*q))
				q++;
			if (q < end && *q == '>' && q > p + 1) {
				q++;
				if (parse_5424(l, q, end) || parse_3339(l, q, end) || parse_3164(l, q, end))
					return;
			}
		} else if (parse_5424(l, p, end) || parse_3339(l, p, end) || parse_3164(l, p, end)) {
			return;
		}
		l->host.type = JT_NONE;
	}
	take_json(l, text, end, FMT_JSONL, &l->outer);
	if (l->kind == LINE_BAD && l->bad == BAD_NO_EVENT && is_journal_entry(&l->outer))
		parse_journal(l);
}
