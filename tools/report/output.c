/* The report (see output.h). */
#define _GNU_SOURCE
#include "output.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "langsite.h"
#include "report.h"
#include "symbolize.h"

static void jappend(json_t *arr, json_t *v)
{
	if (json_array_append_new(arr, jcheck(v)) != 0)
		die_oom();
}

/* S as a JSON string even if it is not UTF-8 (file names may not be):
 * the bytes that are not become '?'. */
static json_t *jstr_lossy(const char *s)
{
	json_t *v = json_string(s);
	char *copy;

	if (v)
		return v;
	copy = xstrdup(s);
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

/* ---- the report ---------------------------------------------------------- */

/* Counts ranked: the largest first, ties by name.  With a TOP, only the
 * TOP best are kept (a heap with the worst at its root): a fleet's peers
 * are a million, and only ten are shown. */
struct cand {
	int64_t n;
	const char *key; /* NULL: the name is in buf */
	char buf[24];
};

struct ranking {
	struct cand *v;
	size_t len, top;
};

static const char *cname(const struct cand *c)
{
	return c->key ? c->key : c->buf;
}

static bool better(const struct cand *a, const struct cand *b)
{
	return a->n != b->n ? a->n > b->n : strcmp(cname(a), cname(b)) < 0;
}

static int cand_cmp(const void *a, const void *b)
{
	return better(a, b) ? -1 : better(b, a) ? 1 : 0;
}

static void rank_init(struct ranking *r, size_t top, size_t most)
{
	r->top = top;
	r->len = 0;
	r->v = xcalloc(top && top < most ? top : most, sizeof *r->v);
}

static void rank_add(struct ranking *r, const struct cand *c)
{
	size_t i, child;

	if (r->top == 0 || r->len < r->top) {
		/* up from the end while worse than its parent */
		i = r->len++;
		r->v[i] = *c;
		while (r->top && i > 0 && better(&r->v[(i - 1) / 2], &r->v[i])) {
			struct cand tmp = r->v[i];

			r->v[i] = r->v[(i - 1) / 2];
			r->v[(i - 1) / 2] = tmp;
			i = (i - 1) / 2;
		}
		return;
	}
	if (!better(c, &r->v[0]))
		return;
	/* the worst replaced, then down while better than a child */
	r->v[0] = *c;
	for (i = 0; (child = 2 * i + 1) < r->len; i = child) {
		struct cand tmp;

		if (child + 1 < r->len && better(&r->v[child], &r->v[child + 1]))
			child++;
		if (!better(&r->v[i], &r->v[child]))
			break;
		tmp = r->v[i];
		r->v[i] = r->v[child];
		r->v[child] = tmp;
	}
}

static void rank_name(struct ranking *r, const char *key, int64_t n)
{
	struct cand c = {.n = n, .key = key};

	rank_add(r, &c);
}

/* An IPv4 peer of a number map (PORT: with its port). */
static void rank_peer4(struct ranking *r, uint64_t key, int64_t n, bool port)
{
	struct cand c = {.n = n};

	/* most are left out by their count alone, before being named */
	if (r->top && r->len == r->top && n < r->v[0].n)
		return;
	peer4_name(key, port, c.buf, sizeof c.buf);
	rank_add(r, &c);
}

static json_t *rank_json(struct ranking *r)
{
	json_t *out = jcheck(json_object());

	qsort(r->v, r->len, sizeof *r->v, cand_cmp);
	for (size_t i = 0; i < r->len; i++)
		jset(out, cname(&r->v[i]), json_integer(r->v[i].n));
	free(r->v);
	return out;
}

/* M's counts, the largest first; at most TOP of them unless TOP is 0.
 * The names are valid UTF-8 (decoded from JSON, or printable ASCII of a
 * syslog header). */
static json_t *counts_sorted(const struct map *m, size_t top)
{
	struct ranking r;

	rank_init(&r, top, m->used);
	map_foreach(m, e)
		rank_name(&r, e->key, e->n);
	return rank_json(&r);
}

/* Peers counted by name (M) and IPv4 ones by number (IM). */
static json_t *peers_sorted(const struct map *m, const struct imap *im, bool port, size_t top)
{
	struct ranking r;

	rank_init(&r, top, (size_t)m->used + im->used);
	map_foreach(m, e)
		rank_name(&r, e->key, e->n);
	imap_foreach(im, e)
		rank_peer4(&r, e->key, e->n, port);
	return rank_json(&r);
}

/* The entries of M ordered by count, the largest first (ties by name). */
static int ment_cmp(const void *a, const void *b)
{
	const struct ment *x = *(const struct ment *const *)a, *y = *(const struct ment *const *)b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

static struct ment **sorted(const struct map *m)
{
	struct ment **v = xcalloc(m->used, sizeof *v);
	size_t i = 0;

	map_foreach(m, e)
		v[i++] = e;
	qsort(v, m->used, sizeof *v, ment_cmp);
	return v;
}

static int site_cmp(const void *a, const void *b)
{
	const struct site *x = (*(const struct ment *const *)a)->aux, *y = (*(const struct ment *const *)b)->aux;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* The backtrace a site's sample had, as the log's JSON. */
static json_t *site_backtrace(const struct site *s)
{
	json_t *bt = s->backtrace ? json_loadb(s->backtrace, s->backtrace_len, 0, NULL) : NULL;

	return bt ? bt : jcheck(json_array());
}

/* The language frames a site's sample had (an empty array if none). */
static json_t *site_lang(const struct site *s)
{
	json_t *lb = s->lang ? json_loadb(s->lang, s->lang_len, 0, NULL) : NULL;

	if (lb && !json_is_array(lb)) {
		json_decref(lb);
		lb = NULL;
	}
	return lb ? lb : jcheck(json_array());
}

/* The process of a site's sample record: its JIT frames are named from
 * that process's perf map. */
static long sample_pid(const char *sample)
{
	/* the sample may be cut short: its "pid" comes second in a record */
	const char *p = sample ? strstr(sample, "\"pid\":") : NULL;

	return p ? strtol(p + 6, NULL, 10) : 0;
}

static json_t *build_sites(const struct tally *t, size_t top)
{
	const struct map *m = &t->sites;
	struct ment **order = xcalloc(m->used, sizeof *order);
	json_t *sites = jcheck(json_object()), *list = jcheck(json_array());
	json_t **bts;
	size_t i = 0, shown;

	map_foreach(m, e)
		order[i++] = e;
	qsort(order, m->used, sizeof *order, site_cmp);
	shown = top == 0 || top > m->used ? m->used : top;
	bts = xcalloc(shown, sizeof *bts);
	/* every object is checked before any frame is named from it */
	for (i = 0; i < shown; i++) {
		bts[i] = site_backtrace(order[i]->aux);
		sym_check(bts[i]);
	}
	for (i = 0; i < shown; i++) {
		const struct site *s = order[i]->aux;
		json_t *site = jcheck(json_object());

		jset(site, "count", json_integer(s->count));
		jset(site, "truncated", json_integer(s->truncated));
		jset(site, "suppressed", json_integer(s->suppressed));
		jset(site, "site", s->id ? json_string(s->id) : json_null());
		jset(site, "events", counts_sorted(&s->events, 0));
		{
			json_t *lang = site_lang(s);
			long at = lang_call_site(lang);

			/* the line the operator fixes, in the program's language */
			jset(site, "call_site", at >= 0 ? json_incref(json_array_get(lang, (size_t)at))
							: json_null());
			jset(site, "lang_frames", lang);
		}
		jset(site, "frames", sym_name_frames(bts[i], sample_pid(s->sample)));
		jset(site, "sample", json_string(s->sample));
		jappend(list, site);
		json_decref(bts[i]);
	}
	free(bts);
	free(order);
	jset(sites, "distinct", json_integer((json_int_t)m->used));
	jset(sites, "records_with_backtrace", json_integer(t->with_backtrace));
	jset(sites, "records_without_backtrace", json_integer(t->records - t->summaries - t->with_backtrace));
	jset(sites, "stale_objects", sym_stale_objects());
	jset(sites, "top", list);
	return sites;
}

static json_t *build_hosts(const struct tally *t, size_t top)
{
	struct ment **v = sorted(&t->hosts);
	struct ranking *peers = xcalloc(t->nhosts, sizeof *peers);
	json_t *out = jcheck(json_object());
	size_t i;

	/* the IPv4 peers of every host, in one pass */
	for (i = 0; i < t->nhosts; i++) {
		const struct host *h = t->host_by_id[i];

		rank_init(&peers[i], top, (size_t)h->peers.used + h->npeers4);
		map_foreach(&h->peers, e)
			rank_name(&peers[i], e->key, e->n);
	}
	imap_foreach(&t->host_peers4, e)
		rank_peer4(&peers[(e->key >> 32) & 0x7fffffff], (uint32_t)e->key, e->n, false);
	for (i = 0; i < t->hosts.used; i++) {
		const struct host *h = v[i]->aux;
		json_t *host, *distinct;

		if (top && i >= top) {
			free(peers[h->id].v);
			continue;
		}
		host = jcheck(json_object());
		distinct = jcheck(json_object());
		jset(distinct, "prog", json_integer(h->progs.used));
		jset(distinct, "peer", json_integer((json_int_t)h->peers.used + h->npeers4));
		jset(host, "count", json_integer(v[i]->n));
		jset(host, "by_event", counts_sorted(&h->events, 0));
		jset(host, "by_prog", counts_sorted(&h->progs, top));
		jset(host, "by_peer", rank_json(&peers[h->id]));
		jset(host, "distinct", distinct);
		jset(out, v[i]->key, host);
	}
	free(peers);
	free(v);
	return out;
}

static json_t *string_list(char **list, size_t n)
{
	json_t *a = jcheck(json_array());

	for (size_t i = 0; i < n; i++)
		jappend(a, jstr_lossy(list[i]));
	return a;
}

static json_t *time_or_null(bool set, int64_t us)
{
	char buf[RFC3339_MAX];

	if (!set)
		return json_null();
	rfc3339_format(us, buf);
	return json_string(buf);
}

json_t *report_build(const struct reading *r, char *const *inputs, size_t ninputs, size_t top,
		     const struct filter *f)
{
	const struct tally *t = &r->tally;
	json_t *doc = jcheck(json_object()), *names = jcheck(json_array());
	json_t *bad = jcheck(json_object()), *distinct = jcheck(json_object());
	json_t *formats = jcheck(json_object()), *filters = jcheck(json_object());
	json_t *suppressed = jcheck(json_object());
	json_t *dropped = jcheck(json_object());
	json_int_t nbad = 0, total = 0;
	size_t i;

	for (i = 0; i < ninputs; i++)
		jappend(names, jstr_lossy(inputs[i]));
	for (i = 0; i < BAD_N; i++) {
		nbad += t->bad[i];
		if (t->bad[i])
			jset(bad, bad_names[i], json_integer(t->bad[i]));
	}
	for (i = 0; i < FMT_N; i++)
		if (t->by_fmt[i])
			jset(formats, fmt_names[i], json_integer(t->by_fmt[i]));
	map_foreach(&t->events, e)
		total += e->n;
	jset(distinct, "event", json_integer((json_int_t)t->events.used));
	jset(distinct, "errno", json_integer((json_int_t)t->errnos.used));
	jset(distinct, "prog", json_integer((json_int_t)t->progs.used));
	jset(distinct, "peer", json_integer((json_int_t)t->peers.used + t->peers4.used));
	jset(distinct, "peer_port", json_integer((json_int_t)t->peer_ports.used + t->peer_ports4.used));
	jset(distinct, "host", json_integer((json_int_t)t->hosts.used));
	jset(suppressed, "records", json_integer(t->summaries));
	jset(suppressed, "count", json_integer(t->suppressed));
	jset(dropped, "records", json_integer(t->drop_notes));
	jset(dropped, "count", json_integer(t->dropped));
	if (f->since_set)
		jset(filters, "since", time_or_null(true, f->since));
	if (f->until_set)
		jset(filters, "until", time_or_null(true, f->until));
	if (f->nevents)
		jset(filters, "event", string_list(f->events, f->nevents));
	if (f->nprogs)
		jset(filters, "prog", string_list(f->progs, f->nprogs));
	if (f->nhosts)
		jset(filters, "host", string_list(f->hosts, f->nhosts));

	jset(doc, "version", json_string(SHIM_VERSION));
	jset(doc, "inputs", names);
	jset(doc, "lines", json_integer(t->lines));
	jset(doc, "blank_lines", json_integer(t->blank));
	jset(doc, "other_lines", json_integer(t->other));
	jset(doc, "records", json_integer(t->records));
	jset(doc, "truncated", json_integer(t->truncated));
	jset(doc, "malformed", json_integer(nbad));
	jset(doc, "malformed_by_reason", bad);
	jset(doc, "first_malformed", r->first_bad ? jstr_lossy(r->first_bad) : json_null());
	jset(doc, "warnings", string_list(r->warnings, r->nwarnings));
	jset(doc, "filters", filters);
	jset(doc, "filtered", json_integer(t->filtered));
	jset(doc, "suppressed", suppressed);
	jset(doc, "dropped", dropped);
	jset(doc, "events_total", json_integer(total));
	jset(doc, "first_ts", time_or_null(t->have_ts, t->ts_min));
	jset(doc, "last_ts", time_or_null(t->have_ts, t->ts_max));
	jset(doc, "by_format", formats);
	jset(doc, "distinct", distinct);
	/* events and errno names are few; programs, hosts and peers may be
	 * thousands */
	jset(doc, "by_event", counts_sorted(&t->events, 0));
	jset(doc, "by_errno", counts_sorted(&t->errnos, 0));
	jset(doc, "by_prog", counts_sorted(&t->progs, top));
	jset(doc, "by_host", build_hosts(t, top));
	jset(doc, "by_peer", peers_sorted(&t->peers, &t->peers4, false, top));
	jset(doc, "by_peer_port", peers_sorted(&t->peer_ports, &t->peer_ports4, true, top));
	jset(doc, "call_sites", build_sites(t, top));
	return doc;
}

/* Prints S, which comes from the log, with its control characters (C0 and
 * C1) as '?': a log must not drive the terminal.  Returns the number of
 * characters printed. */
static int put_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n = 0;

	for (; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			putchar('?');
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			putchar('?');
			p++;
		} else {
			putchar(*p);
			/* a UTF-8 character is one column, more or less */
			if ((*p & 0xc0) == 0x80)
				continue;
		}
		n++;
	}
	return n;
}

static void put_pad(const char *s, int width)
{
	for (int n = put_text(s); n < width; n++)
		putchar(' ');
}

static int text_width(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static const char *plural(json_int_t n, const char *one, const char *more)
{
	return n == 1 ? one : more;
}

static json_int_t jint(json_t *obj, const char *key)
{
	return json_integer_value(json_object_get(obj, key));
}

/* A table of counts: "  <count>  <name>" lines, with a last line telling
 * how many were left out. */
static void print_counts(const char *title, json_t *counts, json_int_t distinct, int width)
{
	json_int_t shown = (json_int_t)json_object_size(counts);
	const char *key;
	json_t *v;

	printf("\n%s\n", title);
	if (shown == 0)
		printf("  %*s  (none)\n", width, "");
	json_object_foreach(counts, key, v) {
		printf("  %*" JSON_INTEGER_FORMAT "  ", width, json_integer_value(v));
		put_text(key[0] ? key : "(empty)");
		putchar('\n');
	}
	if (distinct > shown)
		printf("  %*s  ... and %" JSON_INTEGER_FORMAT " more\n", width, "", distinct - shown);
}

/* "events+0x1570": the object's file name and the offset in it. */
static char *frame_where(json_t *fr)
{
	const char *mod = json_string_value(json_object_get(fr, "module"));
	const char *off = json_string_value(json_object_get(fr, "offset"));
	const char *base = mod ? strrchr(mod, '/') : NULL;
	char *s;

	base = base ? base + 1 : mod ? mod : "?";
	if (asprintf(&s, "%s+%s", base[0] ? base : "?", off ? off : "?") < 0)
		die_oom();
	return s;
}

static char *frame_source(json_t *fr)
{
	const char *file = json_string_value(json_object_get(fr, "file"));
	char *s;

	if (!file)
		return xstrdup("");
	if (asprintf(&s, "%s:%" JSON_INTEGER_FORMAT, file, jint(fr, "line")) < 0)
		die_oom();
	return s;
}

/* "answer_and_close  srv.py:5" */
static void print_lang_frame(json_t *fr, int wfn)
{
	const char *fn = json_string_value(json_object_get(fr, "function"));
	const char *file = json_string_value(json_object_get(fr, "file"));
	json_t *line = json_object_get(fr, "line");

	put_pad(fn ? fn : "??", wfn);
	printf("  ");
	put_text(file ? file : "??");
	if (json_is_integer(line))
		printf(":%" JSON_INTEGER_FORMAT, json_integer_value(line));
}

/* The call site in the program's language, then its frames (the native
 * frames follow). */
static void print_lang(json_t *site)
{
	json_t *lang = json_object_get(site, "lang_frames"), *cs = json_object_get(site, "call_site");
	json_t *fr;
	const char *l;
	int wfn = 0;
	long at = lang_call_site(lang);
	size_t i;

	if (json_array_size(lang) == 0 || !json_is_object(cs))
		return;
	l = json_string_value(json_object_get(cs, "lang"));
	printf("    call site (");
	put_text(l ? l : "?");
	printf("): ");
	print_lang_frame(cs, 0);
	putchar('\n');
	json_array_foreach(lang, i, fr) {
		const char *fn = json_string_value(json_object_get(fr, "function"));
		int w = text_width(fn ? fn : "??");

		wfn = w > wfn ? w : wfn;
	}
	json_array_foreach(lang, i, fr) {
		printf("    %2zu  ", i);
		print_lang_frame(fr, wfn);
		if ((long)i == at)
			printf("  <- call site");
		putchar('\n');
	}
	printf("    native frames:\n");
}

static void print_site(json_t *site, size_t rank)
{
	json_t *frames = json_object_get(site, "frames"), *fr, *v;
	int wsym = 0, wsrc = 0;
	const char *key, *sep = "";
	size_t i;

	printf("\n#%zu  %" JSON_INTEGER_FORMAT " %s:", rank, jint(site, "count"),
	       plural(jint(site, "count"), "record", "records"));
	json_object_foreach(json_object_get(site, "events"), key, v) {
		printf("%s ", sep);
		put_text(key);
		printf(" %" JSON_INTEGER_FORMAT, json_integer_value(v));
		sep = ",";
	}
	if (jint(site, "truncated"))
		printf("  (%" JSON_INTEGER_FORMAT " with the backtrace cut)", jint(site, "truncated"));
	if (jint(site, "suppressed"))
		printf("  (%" JSON_INTEGER_FORMAT " of them suppressed by the rate limit)", jint(site, "suppressed"));
	if (json_is_string(json_object_get(site, "site"))) {
		printf("  site ");
		put_text(json_string_value(json_object_get(site, "site")));
	}
	putchar('\n');
	print_lang(site);
	if (json_array_size(frames) == 0)
		printf("    (no record of this site with a backtrace)\n");
	json_array_foreach(frames, i, fr) {
		const char *sym = json_string_value(json_object_get(fr, "symbol"));
		char *src = frame_source(fr);
		int w = text_width(sym ? sym : "??");

		wsym = w > wsym ? w : wsym;
		w = text_width(src);
		wsrc = w > wsrc ? w : wsrc;
		free(src);
	}
	json_array_foreach(frames, i, fr) {
		const char *sym = json_string_value(json_object_get(fr, "symbol"));
		char *src = frame_source(fr), *where = frame_where(fr);

		printf("    %2zu  ", i);
		put_pad(sym ? sym : "??", wsym);
		printf("  ");
		if (wsrc) {
			put_pad(src, wsrc);
			printf("  ");
		}
		put_text(where);
		if (json_is_string(json_object_get(fr, "object"))) {
			printf("  (from ");
			put_text(json_string_value(json_object_get(fr, "object")));
			printf(")");
		}
		if (json_is_true(json_object_get(fr, "stale")))
			printf("  (object differs: named from the log)");
		putchar('\n');
		free(src);
		free(where);
	}
	printf("    sample: ");
	put_text(json_string_value(json_object_get(site, "sample")));
	putchar('\n');
}

static void print_filters(json_t *filters)
{
	const char *key;
	json_t *v, *s;
	size_t i;

	json_object_foreach(filters, key, v) {
		printf(" --%s", key);
		if (json_is_string(v)) {
			printf(" %s", json_string_value(v));
			continue;
		}
		json_array_foreach(v, i, s) {
			printf("%s", i ? "," : " ");
			put_text(json_string_value(s));
		}
	}
}

/* "name 3, other 2" from a table of counts, at most MAX of them. */
static void print_inline(json_t *counts, json_int_t distinct, size_t max)
{
	const char *key, *sep = "";
	size_t n = 0;
	json_t *v;

	json_object_foreach(counts, key, v) {
		if (n++ == max)
			break;
		printf("%s", sep);
		put_text(key[0] ? key : "(empty)");
		printf(" %" JSON_INTEGER_FORMAT, json_integer_value(v));
		sep = ", ";
	}
	if (distinct > (json_int_t)(n < max ? n : max))
		printf("%s... %" JSON_INTEGER_FORMAT " in all", sep, distinct);
}

/* The hosts: each with its events and its busiest peers. */
static void print_hosts(json_t *hosts, json_int_t distinct, int width)
{
	const char *key;
	json_t *h;

	printf("\nhosts\n");
	if (json_object_size(hosts) == 0)
		printf("  %*s  (none)\n", width, "");
	json_object_foreach(hosts, key, h) {
		json_t *d = json_object_get(h, "distinct");

		printf("  %*" JSON_INTEGER_FORMAT "  ", width, jint(h, "count"));
		put_text(key[0] ? key : "(unknown)");
		printf("\n  %*s    events ", width, "");
		print_inline(json_object_get(h, "by_event"), (json_int_t)json_object_size(json_object_get(h, "by_event")), 8);
		if (jint(d, "peer")) {
			printf("\n  %*s    peers  ", width, "");
			print_inline(json_object_get(h, "by_peer"), jint(d, "peer"), 3);
		}
		putchar('\n');
	}
	if (distinct > (json_int_t)json_object_size(hosts))
		printf("  %*s  ... and %" JSON_INTEGER_FORMAT " more\n", width, "",
		       distinct - (json_int_t)json_object_size(hosts));
}

void report_print_text(json_t *doc)
{
	json_t *inputs = json_object_get(doc, "inputs");
	json_t *distinct = json_object_get(doc, "distinct");
	json_t *sites = json_object_get(doc, "call_sites"), *v;
	json_t *top = json_object_get(sites, "top");
	json_t *suppressed = json_object_get(doc, "suppressed"), *formats;
	json_int_t nbad = jint(doc, "malformed"), ntrunc = jint(doc, "truncated");
	const char *key, *sep = "";
	int width;
	size_t i;

	printf(PROG " " SHIM_VERSION "\n");
	printf("inputs     ");
	json_array_foreach(inputs, i, v) {
		if (i == 8) {
			printf(" ... and %zu more", json_array_size(inputs) - i);
			break;
		}
		printf("%s", i ? " " : "");
		put_text(strcmp(json_string_value(v), "-") ? json_string_value(v) : "(stdin)");
	}
	printf("\nlines      %" JSON_INTEGER_FORMAT, jint(doc, "lines"));
	if (jint(doc, "blank_lines"))
		printf("  (and %" JSON_INTEGER_FORMAT " blank)", jint(doc, "blank_lines"));
	printf("\nrecords    %" JSON_INTEGER_FORMAT, jint(doc, "records"));
	if (ntrunc)
		printf("  (%" JSON_INTEGER_FORMAT " truncated: backtrace cut to fit)", ntrunc);
	printf("\nmalformed  %" JSON_INTEGER_FORMAT, nbad);
	if (nbad) {
		printf("  (");
		json_object_foreach(json_object_get(doc, "malformed_by_reason"), key, v) {
			printf("%s%s %" JSON_INTEGER_FORMAT, sep, key, json_integer_value(v));
			sep = ", ";
		}
		printf("; the first at ");
		put_text(json_string_value(json_object_get(doc, "first_malformed")));
		printf(")");
	}
	putchar('\n');
	if (jint(doc, "other_lines"))
		printf("other      %" JSON_INTEGER_FORMAT "  (lines of other programs, skipped)\n", jint(doc, "other_lines"));
	if (json_object_size(json_object_get(doc, "filters"))) {
		printf("filtered   %" JSON_INTEGER_FORMAT "  (records left out:", jint(doc, "filtered"));
		print_filters(json_object_get(doc, "filters"));
		printf(")\n");
	}
	if (jint(suppressed, "records"))
		printf("suppressed %" JSON_INTEGER_FORMAT "  (in %" JSON_INTEGER_FORMAT
		       " suppressed %s of the rate limit: counted in the totals below)\n",
		       jint(suppressed, "count"), jint(suppressed, "records"),
		       plural(jint(suppressed, "records"), "record", "records"));
	if (jint(json_object_get(doc, "dropped"), "records"))
		printf("dropped    %" JSON_INTEGER_FORMAT "  (records lost before they were written, as %"
		       JSON_INTEGER_FORMAT " log_dropped %s say: in none of the totals below)\n",
		       jint(json_object_get(doc, "dropped"), "count"),
		       jint(json_object_get(doc, "dropped"), "records"),
		       plural(jint(json_object_get(doc, "dropped"), "records"), "record", "records"));
	formats = json_object_get(doc, "by_format");
	if (json_object_size(formats) > 1 ||
	    (json_object_size(formats) == 1 && !json_object_get(formats, "jsonl"))) {
		printf("formats    ");
		sep = "";
		json_object_foreach(formats, key, v) {
			printf("%s%s %" JSON_INTEGER_FORMAT, sep, key, json_integer_value(v));
			sep = ", ";
		}
		putchar('\n');
	}
	if (json_is_string(json_object_get(doc, "first_ts")))
		printf("time       %s .. %s\n", json_string_value(json_object_get(doc, "first_ts")),
		       json_string_value(json_object_get(doc, "last_ts")));
	json_array_foreach(json_object_get(doc, "warnings"), i, v) {
		printf("warning: ");
		put_text(json_string_value(v));
		putchar('\n');
	}

	/* one column of counts for all the tables, as wide as the largest
	 * count can be */
	width = snprintf(NULL, 0, "%" JSON_INTEGER_FORMAT, jint(doc, "events_total"));
	print_counts("events", json_object_get(doc, "by_event"), jint(distinct, "event"), width);
	print_counts("errno", json_object_get(doc, "by_errno"), jint(distinct, "errno"), width);
	print_counts("programs", json_object_get(doc, "by_prog"), jint(distinct, "prog"), width);
	print_hosts(json_object_get(doc, "by_host"), jint(distinct, "host"), width);
	print_counts("peers (by address)", json_object_get(doc, "by_peer"), jint(distinct, "peer"), width);
	print_counts("peers (by address and port)", json_object_get(doc, "by_peer_port"), jint(distinct, "peer_port"),
		     width);

	printf("\ncall sites: %" JSON_INTEGER_FORMAT " (distinct backtraces) among %" JSON_INTEGER_FORMAT
	       " %s with a backtrace", jint(sites, "distinct"), jint(sites, "records_with_backtrace"),
	       plural(jint(sites, "records_with_backtrace"), "record", "records"));
	if (jint(sites, "records_without_backtrace"))
		printf(" (%" JSON_INTEGER_FORMAT " without)", jint(sites, "records_without_backtrace"));
	if (json_array_size(top) < (size_t)jint(sites, "distinct"))
		printf("; the top %zu", json_array_size(top));
	putchar('\n');
	json_array_foreach(json_object_get(sites, "stale_objects"), i, v) {
		printf("warning: ");
		put_text(json_string_value(v));
		printf(" is not the object that wrote some records (rebuilt since?):"
		       " their frames are named from the log\n");
	}
	json_array_foreach(top, i, v)
		print_site(v, i + 1);
}

