/* Counting records (see agg.h). */
#include "agg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

void tally_init(struct tally *t, const struct filter *f)
{
	memset(t, 0, sizeof *t);
	t->filter = f;
	map_init(&t->events, &t->arena);
	map_init(&t->errnos, &t->arena);
	map_init(&t->progs, &t->arena);
	map_init(&t->peers, &t->arena);
	map_init(&t->peer_ports, &t->arena);
	map_init(&t->hosts, &t->arena);
	map_init(&t->sites, &t->arena);
	/* decoded strings of a line are never longer than the line; a
	 * call-site key holds the module names (at most a line), 18 bytes a
	 * frame more, and lang_backtrace's text (at most a line) */
	t->scratch_cap = 3 * LINE_CAP + 18 * JS_MAX_FRAMES + 64;
	t->scratch = xrealloc(NULL, t->scratch_cap);
}

void tally_free(struct tally *t)
{
	map_foreach(&t->hosts, e) {
		struct host *h = e->aux;

		map_free(&h->events);
		map_free(&h->peers);
		map_free(&h->progs);
	}
	map_foreach(&t->sites, e) {
		struct site *s = e->aux;

		map_free(&s->events);
		free(s->backtrace);
		free(s->lang);
		free(s->sample);
	}
	map_free(&t->events);
	map_free(&t->errnos);
	map_free(&t->progs);
	map_free(&t->peers);
	map_free(&t->peer_ports);
	map_free(&t->hosts);
	map_free(&t->sites);
	imap_free(&t->peers4);
	imap_free(&t->peer_ports4);
	imap_free(&t->host_peers4);
	free(t->host_by_id);
	arena_free(&t->arena);
	free(t->scratch);
	t->scratch = NULL;
}

/* Decoded strings of one record, one after another in the scratch. */
struct strs {
	char *next, *end;
};

/* The name under which a field is counted: strings as they are, integers
 * in decimal (a hand-made log may have "errno":9); NULL for anything else. */
static const char *field(struct strs *st, const struct jspan *s, bool int_ok, size_t *len)
{
	const char *v;

	if (s->type == JT_INT && int_ok) {
		/* what jansson would print of it */
		if (s->n == 2 && s->p[0] == '-' && s->p[1] == '0') {
			*len = 1;
			return "0";
		}
		*len = s->n;
		return s->p;
	}
	v = js_string(s, st->next, (size_t)(st->end - st->next), len);
	if (v == st->next)
		st->next += *len + 1;
	return v;
}

static bool frame_offset(const struct jspan *s, uint64_t *off)
{
	const char *p = s->p;
	uint64_t v = 0;

	/* "0x1234", as the shim writes it (no escapes in it then) */
	if (s->type != JT_STRING || s->esc || s->n < 3 || s->n > 18 || p[0] != '0' || (p[1] != 'x' && p[1] != 'X'))
		return false;
	for (uint32_t i = 2; i < s->n; i++) {
		char c = p[i];
		int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (h < 0)
			return false;
		v = v << 4 | (uint64_t)h;
	}
	*off = v;
	return true;
}

/* The call-site key of a record: "s" and its "site"; else "b" and each
 * frame's module and offset (0x1570 and 0x01570 are one address), apart
 * by bytes that no decoded string holds.  NULL if it has neither. */
static const char *site_key(struct strs *st, const struct jdoc *d, size_t *len, const char **id)
{
	char *key, *k;
	size_t n;
	const char *v;

	*id = NULL;
	if (d->k[K_SITE].type == JT_STRING) {
		v = field(st, &d->k[K_SITE], false, &n);
		key = st->next;
		key[0] = 's';
		memcpy(key + 1, v, n);
		key[n + 1] = '\0';
		st->next += n + 2;
		*len = n + 1;
		*id = key + 1;
		return key;
	}
	if (d->k[K_BACKTRACE].type != JT_ARRAY || d->nframes == 0)
		return NULL;
	/* modules first decoded (when escaped), then the key after them */
	{
		const char *mods[JS_MAX_FRAMES];
		size_t lens[JS_MAX_FRAMES];
		uint32_t nf = d->nframes < JS_MAX_FRAMES ? d->nframes : JS_MAX_FRAMES;

		for (uint32_t i = 0; i < nf; i++) {
			mods[i] = field(st, &d->frames[i].module, false, &lens[i]);
			if (!mods[i])
				lens[i] = 0;
		}
		key = k = st->next;
		/* An interpreter's native frames are the same for every line of
		 * the program: its language frames (their JSON text, which
		 * holds no NUL) come first, then the native key. */
		if (d->k[K_LANG_BACKTRACE].type == JT_ARRAY && d->k[K_LANG_BACKTRACE].n > 2) {
			*k++ = 'l';
			memcpy(k, d->k[K_LANG_BACKTRACE].p, d->k[K_LANG_BACKTRACE].n);
			k += d->k[K_LANG_BACKTRACE].n;
			*k++ = '\0';
		}
		*k++ = 'b';
		for (uint32_t i = 0; i < nf; i++) {
			const struct jspan *o = &d->frames[i].offset;
			uint64_t off;

			memcpy(k, mods[i] ? mods[i] : "", lens[i]);
			k += lens[i];
			*k++ = '\0';
			if (frame_offset(o, &off)) {
				*k++ = 'x';
				memcpy(k, &off, 8);
				k += 8;
			} else {
				size_t on = 0;
				const char *ov = js_string(o, k + 1, (size_t)(st->end - k - 1), &on);

				*k++ = 'r';
				if (ov && ov != k)
					memcpy(k, ov, on);
				k += ov ? on : 0;
				*k++ = '\0';
			}
		}
		if (d->nframes > JS_MAX_FRAMES) {
			memcpy(k, "+more", 5);
			k += 5;
			memcpy(k, &d->nframes, sizeof d->nframes);
			k += sizeof d->nframes;
		}
	}
	*len = (size_t)(k - key);
	st->next = k;
	return key;
}

void peer_address(const char *p, size_t n, const char *family, size_t family_len, const char **addr,
		  size_t *addr_len)
{
	const char *colon = NULL;
	size_t ncolons = 0, i;

	*addr = p;
	*addr_len = n;
	if (family && family_len == 4 && memcmp(family, "unix", 4) == 0)
		return;
	if (n > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', n);

		if (close && (size_t)(close - p) + 1 < n && close[1] == ':') {
			*addr = p + 1;
			*addr_len = (size_t)(close - p - 1);
		}
		return;
	}
	for (i = 0; i < n; i++) {
		if (p[i] == ':') {
			ncolons++;
			colon = p + i;
		}
	}
	/* "host:port"; more colons are an IPv6 address without brackets */
	if (ncolons != 1 || colon == p + n - 1)
		return;
	for (const char *q = colon + 1; q < p + n; q++)
		if (*q < '0' || *q > '9')
			return;
	*addr_len = (size_t)(colon - p);
}

/* A number of 0..MAX at *P, in decimal as printed (no leading 0); *P
 * moves past it. */
static bool dec(const char **p, const char *end, unsigned max, unsigned *v)
{
	const char *s = *p;

	*v = 0;
	while (*p < end && **p >= '0' && **p <= '9') {
		*v = *v * 10 + (unsigned)(**p - '0');
		if (*v > max)
			return false;
		++*p;
	}
	return *p > s && *p - s <= 5 && (*s != '0' || *p - s == 1);
}

/* "a.b.c.d:port" as the shim prints an IPv4 peer: its numbers.  Anything
 * else (IPv6, unix, a hand-made "010.0.0.1:80") is counted by name. */
static bool ipv4_port(const char *p, size_t n, uint32_t *ip, unsigned *port)
{
	const char *end = p + n;
	unsigned v;

	*ip = 0;
	for (int i = 0; i < 4; i++) {
		if (!dec(&p, end, 255, &v) || p >= end || *p != (i < 3 ? '.' : ':'))
			return false;
		*ip = *ip << 8 | v;
		p++;
	}
	return dec(&p, end, 65535, port) && p == end;
}

void peer4_name(uint64_t key, bool port, char *buf, size_t cap)
{
	uint32_t ip = (uint32_t)(port ? key >> 16 : key);

	if (port)
		snprintf(buf, cap, "%u.%u.%u.%u:%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255,
			 (unsigned)(key & 0xffff));
	else
		snprintf(buf, cap, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255);
}

/* LINE cut to about SAMPLE_MAX bytes, never inside a UTF-8 character. */
static char *cut_sample(const char *line, size_t len)
{
	size_t n = len;
	char *s;

	if (n > SAMPLE_MAX) {
		n = SAMPLE_MAX;
		while (n > 0 && ((unsigned char)line[n] & 0xc0) == 0x80)
			n--;
	}
	s = xrealloc(NULL, n + 4);
	memcpy(s, line, n);
	strcpy(s + n, n < len ? "..." : "");
	return s;
}

static struct site *site_of(struct tally *t, const char *key, size_t len, const char *id)
{
	struct ment *e = map_get(&t->sites, key, len);
	struct site *s = e->aux;

	if (!s) {
		s = e->aux = arena_alloc(&t->arena, sizeof *s);
		memset(s, 0, sizeof *s);
		s->first = UINT64_MAX;
		s->sample_order = UINT64_MAX;
		map_init(&s->events, &t->arena);
		/* the id is the key after its "s" */
		s->id = id ? e->key + 1 : NULL;
	}
	return s;
}

/* Whether a sample (WITH_BT: it has a backtrace) at ORDER is better than
 * the site's: one with a backtrace, then the earliest. */
static bool better_sample(const struct site *s, bool with_bt, uint64_t order)
{
	bool has = s->backtrace != NULL;

	if (!s->sample)
		return true;
	return with_bt != has ? with_bt : order < s->sample_order;
}

/* The host NAME, its count raised by N. */
static struct host *host_of(struct tally *t, const char *name, size_t len, int64_t n)
{
	struct ment *e = map_get(&t->hosts, name, len);
	struct host *h = e->aux;

	e->n += n;
	if (!h) {
		h = e->aux = arena_alloc(&t->arena, sizeof *h);
		h->id = t->nhosts;
		h->npeers4 = 0;
		t->host_by_id = xrealloc(t->host_by_id, (t->nhosts + 1) * sizeof *t->host_by_id);
		t->host_by_id[t->nhosts++] = h;
		map_init(&h->events, &t->arena);
		map_init(&h->peers, &t->arena);
		map_init(&h->progs, &t->arena);
	}
	return h;
}

static void take_bad(struct tally *t, enum bad_reason why, uint64_t order)
{
	t->bad[why]++;
	if (!t->have_bad || order < t->first_bad) {
		t->have_bad = true;
		t->first_bad = order;
	}
}

void tally_too_long(struct tally *t, uint32_t unit, uint64_t line_no)
{
	t->lines++;
	take_bad(t, BAD_TOO_LONG, AGG_ORDER(unit, line_no));
}

static void take_record(struct tally *t, const struct line *l, uint64_t order)
{
	const struct jdoc *d = l->rec;
	struct strs st = {t->scratch, t->scratch + t->scratch_cap};
	const char *event, *prog, *host, *errno_, *peer, *key, *id;
	size_t event_len, prog_len = 0, host_len = 0, errno_len, peer_len, key_len;
	bool summary, truncated, have_ts, with_bt, with_lang;
	int64_t n = 1, ts = 0;
	struct host *h;

	event = field(&st, &d->k[K_EVENT], false, &event_len);
	summary = event_len == sizeof SHIM_EV_SUPPRESSED - 1 && memcmp(event, SHIM_EV_SUPPRESSED, event_len) == 0;
	if (summary) {
		/* the records it stands for count as records of their event */
		const char *what = field(&st, &d->k[K_SUPPRESSED_EVENT], false, &event_len);

		if (what)
			event = what;
		else
			event_len = sizeof SHIM_EV_SUPPRESSED - 1;
		if (!js_int(&d->k[K_COUNT], &n) || n < 0)
			n = 0;
	}
	prog = field(&st, &d->k[K_PROG], true, &prog_len);
	/* the collector's name of the host first: two hosts of a test fleet
	 * may share a node name */
	host = field(&st, l->host.type == JT_STRING ? &l->host : &d->k[K_HOST], false, &host_len);
	have_ts = d->k[K_TS].type == JT_STRING && !d->k[K_TS].esc &&
		  rfc3339_parse(d->k[K_TS].p, d->k[K_TS].n, false, &ts);
	if (t->filter && !filter_match(t->filter, event, event_len, prog, prog_len, host, host_len, have_ts, ts)) {
		t->filtered++;
		return;
	}

	t->records++;
	t->by_fmt[l->fmt]++;
	truncated = d->k[K_TRUNCATED].type == JT_TRUE;
	if (truncated)
		t->truncated++;
	if (have_ts) {
		if (!t->have_ts || ts < t->ts_min)
			t->ts_min = ts;
		if (!t->have_ts || ts > t->ts_max)
			t->ts_max = ts;
		t->have_ts = true;
	}
	if (summary) {
		t->summaries++;
		t->suppressed += n;
	} else if (event_len == sizeof SHIM_EV_LOG_DROPPED - 1 &&
		   memcmp(event, SHIM_EV_LOG_DROPPED, event_len) == 0) {
		/* records lost before they were written: in no total, but told
		 * (regress_report_dropped_told) */
		int64_t lost;

		t->drop_notes++;
		if (js_int(&d->k[K_DROPPED], &lost) && lost > 0)
			t->dropped += lost;
	}
	map_add(&t->events, event, event_len, n);
	if (prog)
		map_add(&t->progs, prog, prog_len, n);
	h = host_of(t, host ? host : "", host ? host_len : 0, n);
	map_add(&h->events, event, event_len, n);
	if (prog)
		map_add(&h->progs, prog, prog_len, n);
	if ((errno_ = field(&st, &d->k[K_ERRNO], true, &errno_len)))
		map_add(&t->errnos, errno_, errno_len, 1);
	if ((peer = field(&st, &d->k[K_PEER], true, &peer_len))) {
		const char *family, *addr;
		size_t family_len = 0, addr_len;
		uint32_t ip;
		unsigned port;

		if (ipv4_port(peer, peer_len, &ip, &port)) {
			imap_add(&t->peer_ports4, PEER4_PORT(ip, port), 1);
			imap_add(&t->peers4, PEER4(ip), 1);
			if (imap_add(&t->host_peers4, HOST_PEER4(h->id, ip), 1))
				h->npeers4++;
		} else {
			family = field(&st, &d->k[K_FAMILY], false, &family_len);
			peer_address(peer, peer_len, family, family_len, &addr, &addr_len);
			map_add(&t->peer_ports, peer, peer_len, 1);
			map_add(&t->peers, addr, addr_len, 1);
			map_add(&h->peers, addr, addr_len, 1);
		}
	}

	with_bt = d->k[K_BACKTRACE].type == JT_ARRAY && d->nframes > 0;
	with_lang = d->k[K_LANG_BACKTRACE].type == JT_ARRAY && d->k[K_LANG_BACKTRACE].n > 2;
	if (with_bt && !summary)
		t->with_backtrace++;
	if ((key = site_key(&st, d, &key_len, &id))) {
		struct site *s = site_of(t, key, key_len, id);

		s->count += n;
		if (summary)
			s->suppressed += n;
		else
			s->records++;
		if (truncated)
			s->truncated++;
		if (order < s->first)
			s->first = order;
		map_add(&s->events, event, event_len, n);
		if (better_sample(s, with_bt, order)) {
			free(s->sample);
			free(s->backtrace);
			free(s->lang);
			s->lang = with_lang ? xstrndup(d->k[K_LANG_BACKTRACE].p, d->k[K_LANG_BACKTRACE].n) : NULL;
			s->lang_len = with_lang ? d->k[K_LANG_BACKTRACE].n : 0;
			s->sample = cut_sample(l->json, l->json_len);
			s->backtrace = with_bt ? xstrndup(d->k[K_BACKTRACE].p, d->k[K_BACKTRACE].n) : NULL;
			s->backtrace_len = with_bt ? d->k[K_BACKTRACE].n : 0;
			s->sample_order = order;
		}
	}
}

void tally_line(struct tally *t, const struct line *l, uint32_t unit, uint64_t line_no)
{
	switch (l->kind) {
	case LINE_BLANK:
		t->blank++;
		return;
	case LINE_OTHER:
		t->lines++;
		t->other++;
		return;
	case LINE_BAD:
		t->lines++;
		take_bad(t, l->bad, AGG_ORDER(unit, line_no));
		return;
	case LINE_RECORD:
		t->lines++;
		take_record(t, l, AGG_ORDER(unit, line_no));
		return;
	}
}

static int64_t ifind(const struct imap *m, uint64_t key)
{
	imap_foreach(m, e)
		if (e->key == key)
			return e->n;
	return 0;
}

int64_t tally_peer(const struct tally *t, const struct host *h, const char *name, bool port)
{
	size_t len = strlen(name);
	char buf[32];
	uint32_t ip;
	unsigned p;
	struct ment *e;

	if (port) {
		if (ipv4_port(name, len, &ip, &p))
			return ifind(&t->peer_ports4, PEER4_PORT(ip, p));
		e = map_find(&t->peer_ports, name, len);
		return e ? e->n : 0;
	}
	/* an address is kept by number if it would be with a port */
	snprintf(buf, sizeof buf, "%s:1", name);
	if (len < 16 && ipv4_port(buf, len + 2, &ip, &p))
		return h ? ifind(&t->host_peers4, HOST_PEER4(h->id, ip)) : ifind(&t->peers4, PEER4(ip));
	e = map_find(h ? &h->peers : &t->peers, name, len);
	return e ? e->n : 0;
}

void tally_merge(struct tally *dst, struct tally *src)
{
	dst->lines += src->lines;
	dst->blank += src->blank;
	dst->records += src->records;
	dst->truncated += src->truncated;
	dst->other += src->other;
	dst->filtered += src->filtered;
	dst->summaries += src->summaries;
	dst->suppressed += src->suppressed;
	dst->drop_notes += src->drop_notes;
	dst->dropped += src->dropped;
	dst->with_backtrace += src->with_backtrace;
	for (int i = 0; i < BAD_N; i++)
		dst->bad[i] += src->bad[i];
	for (int i = 0; i < FMT_N; i++)
		dst->by_fmt[i] += src->by_fmt[i];
	if (src->have_bad && (!dst->have_bad || src->first_bad < dst->first_bad)) {
		dst->have_bad = true;
		dst->first_bad = src->first_bad;
	}
	if (src->have_ts) {
		if (!dst->have_ts || src->ts_min < dst->ts_min)
			dst->ts_min = src->ts_min;
		if (!dst->have_ts || src->ts_max > dst->ts_max)
			dst->ts_max = src->ts_max;
		dst->have_ts = true;
	}
	map_merge(&dst->events, &src->events);
	map_merge(&dst->errnos, &src->errnos);
	map_merge(&dst->progs, &src->progs);
	map_merge(&dst->peers, &src->peers);
	map_merge(&dst->peer_ports, &src->peer_ports);
	imap_merge(&dst->peers4, &src->peers4);
	imap_merge(&dst->peer_ports4, &src->peer_ports4);
	map_foreach(&src->hosts, e) {
		struct host *from = e->aux, *to = host_of(dst, e->key, e->len, e->n);

		map_merge(&to->events, &from->events);
		map_merge(&to->peers, &from->peers);
		map_merge(&to->progs, &from->progs);
		/* SRC's number of the host, now DST's */
		from->id = to->id;
	}
	imap_foreach(&src->host_peers4, e) {
		uint32_t id = src->host_by_id[(e->key >> 32) & 0x7fffffff]->id;

		if (imap_add(&dst->host_peers4, HOST_PEER4(id, (uint32_t)e->key), e->n))
			dst->host_by_id[id]->npeers4++;
	}
	map_foreach(&src->sites, e) {
		struct site *from = e->aux;
		struct site *to = site_of(dst, e->key, e->len, from->id);

		to->count += from->count;
		to->records += from->records;
		to->truncated += from->truncated;
		to->suppressed += from->suppressed;
		if (from->first < to->first)
			to->first = from->first;
		map_merge(&to->events, &from->events);
		/* the sample moves over: SRC is freed after */
		if (from->sample && better_sample(to, from->backtrace != NULL, from->sample_order)) {
			free(to->sample);
			free(to->backtrace);
			free(to->lang);
			to->sample = from->sample;
			to->backtrace = from->backtrace;
			to->backtrace_len = from->backtrace_len;
			to->lang = from->lang;
			to->lang_len = from->lang_len;
			to->sample_order = from->sample_order;
			from->sample = NULL;
			from->backtrace = NULL;
			from->lang = NULL;
		}
	}
}
