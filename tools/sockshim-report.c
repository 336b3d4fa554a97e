/* sockshim-report: a summary of sockshim logs (JSON lines) for people, or
 * for programs with --json.
 *
 *   sockshim-report [--json] [--top N] LOG...
 *
 * It counts the records by event, errno, program and peer, groups them by
 * backtrace into call sites and names the frames of the busiest ones with
 * libdw (elfutils): the function and, where the object has debug info, the
 * source line.  Lines that are not records are counted, never fatal: a log
 * may be cut by a full disk, concatenated by a collector or not a log at all.
 *
 * Both the report for people and --json are printed from one JSON document
 * (build_report), so that they cannot say different things. */
#define _GNU_SOURCE
#include <ctype.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sockshim.h"

#define PROG "sockshim-report"

/* Exit statuses, as --help tells them. */
#define EXIT_RECORDS 0
#define EXIT_NO_RECORDS 1
#define EXIT_USAGE 2

/* A record is at most SHIM_RECORD_MAX bytes.  Lines far longer are not
 * records, and are skipped without being kept whole: a binary file without
 * newlines must not be read into memory. */
#define LINE_CAP (16 * SHIM_RECORD_MAX)
/* The sample record shown for a call site is cut to about this many bytes. */
#define SAMPLE_MAX 300
#define DEFAULT_TOP 10

/* Why a line is not a record, in the order the report lists them. */
enum bad_reason { BAD_NOT_JSON, BAD_NOT_OBJECT, BAD_NO_EVENT, BAD_TOO_LONG, BAD_N };
static const char *const bad_names[BAD_N] = {
	[BAD_NOT_JSON] = "not JSON",
	[BAD_NOT_OBJECT] = "not an object",
	[BAD_NO_EVENT] = "no event",
	[BAD_TOO_LONG] = "too long",
};

/* Records grouped by the (module, offset) of every frame of "backtrace". */
struct site {
	json_int_t count;
	json_int_t truncated;
	size_t first;   /* the number of the first record: ties keep log order */
	json_t *events; /* event -> count */
	json_t *frames; /* the first record's backtrace */
	char *sample;   /* the first record's line, cut to SAMPLE_MAX */
};

struct tally {
	json_int_t lines;	/* not counting blank ones */
	json_int_t blank;
	json_int_t records;
	json_int_t truncated;
	json_int_t bad[BAD_N];
	char *first_bad;	/* "FILE:LINE" of the first line that is not a record */
	json_t *by_event, *by_errno, *by_prog, *by_peer;
	json_int_t with_backtrace;
	json_t *site_index;	/* site key -> index into sites */
	struct site *sites;
	size_t nsites, cap_sites;
};

static void __attribute__((noreturn)) die_oom(void)
{
	fprintf(stderr, PROG ": out of memory\n");
	exit(EXIT_USAGE);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die_oom();
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die_oom();
	return d;
}

/* jansson reports a failed allocation by returning NULL or -1; a report
 * with silently missing counts would be worse than none. */
static json_t *jcheck(json_t *v)
{
	if (!v)
		die_oom();
	return v;
}

static void jset(json_t *obj, const char *key, json_t *v)
{
	if (json_object_set_new(obj, key, jcheck(v)) != 0)
		die_oom();
}

static void jappend(json_t *arr, json_t *v)
{
	if (json_array_append_new(arr, jcheck(v)) != 0)
		die_oom();
}

static void count_in(json_t *counts, const char *key, json_int_t n)
{
	json_t *v = json_object_get(counts, key);

	if (v)
		json_integer_set(v, json_integer_value(v) + n);
	else
		jset(counts, key, json_integer(n));
}

/* S as a JSON string even if it is not UTF-8: file names, and the names
 * that an object file holds, may not be.  The bytes that are not become '?'. */
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

/* ---- reading ------------------------------------------------------------ */

/* The name under which a record's field is counted: strings as they are,
 * integers in decimal (a hand-made log may have "errno":9); NULL for
 * anything else. */
static const char *field_key(json_t *rec, const char *field, char *tmp, size_t cap)
{
	json_t *v = json_object_get(rec, field);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(tmp, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return tmp;
	}
	return NULL;
}

/* The hexadecimal number of a frame's "offset" ("0x1234"). */
static bool frame_offset(json_t *frame, uint64_t *off)
{
	const char *s = json_string_value(json_object_get(frame, "offset"));
	char *end;

	/* strtoull alone would take " 12", "-1" and "" too */
	if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !isxdigit((unsigned char)s[2]))
		return false;
	errno = 0;
	*off = strtoull(s + 2, &end, 16);
	return errno == 0 && *end == '\0';
}

static void buf_add(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = xrealloc(*buf, *cap);
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

/* Appends S to the key, prefixed with its length. */
static void key_add(char **key, size_t *len, size_t *cap, const char *s)
{
	char num[24];

	snprintf(num, sizeof num, "%zu:", strlen(s));
	buf_add(key, len, cap, num, strlen(num));
	buf_add(key, len, cap, s, strlen(s));
}

/* The call-site key of a backtrace: each frame's module and offset, each
 * prefixed with its length so that no module name can make two different
 * backtraces look alike.  NULL if the backtrace has no frame. */
static char *site_key(json_t *bt)
{
	char *key = NULL, num[24];
	size_t len = 0, cap = 0, i;
	json_t *frame;

	if (!json_is_array(bt) || json_array_size(bt) == 0)
		return NULL;
	json_array_foreach(bt, i, frame) {
		const char *mod = json_string_value(json_object_get(frame, "module"));
		const char *off = json_string_value(json_object_get(frame, "offset"));
		uint64_t o;

		/* 0x1570 and 0x01570 are one address */
		if (frame_offset(frame, &o)) {
			snprintf(num, sizeof num, "%" PRIx64, o);
			off = num;
		}
		key_add(&key, &len, &cap, mod ? mod : "");
		key_add(&key, &len, &cap, off ? off : "");
	}
	return key;
}

/* LINE cut to about SAMPLE_MAX bytes, never inside a UTF-8 character (the
 * line was valid JSON, so it is valid UTF-8, and so stays the sample). */
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

static void take_site(struct tally *t, json_t *rec, const char *line, size_t len)
{
	json_t *bt = json_object_get(rec, "backtrace");
	char *key = site_key(bt);
	struct site *s;
	json_t *idx;

	if (!key)
		return;
	t->with_backtrace++;
	idx = json_object_get(t->site_index, key);
	if (idx) {
		s = &t->sites[json_integer_value(idx)];
	} else {
		if (t->nsites == t->cap_sites) {
			t->cap_sites = t->cap_sites ? 2 * t->cap_sites : 64;
			t->sites = xrealloc(t->sites, t->cap_sites * sizeof *t->sites);
		}
		s = &t->sites[t->nsites];
		memset(s, 0, sizeof *s);
		s->first = (size_t)t->records;
		s->events = jcheck(json_object());
		s->frames = json_incref(bt);
		s->sample = cut_sample(line, len);
		jset(t->site_index, key, json_integer((json_int_t)t->nsites));
		t->nsites++;
	}
	free(key);
	s->count++;
	count_in(s->events, json_string_value(json_object_get(rec, "event")), 1);
	if (json_is_true(json_object_get(rec, "truncated")))
		s->truncated++;
}

static void take_record(struct tally *t, json_t *rec, const char *line, size_t len)
{
	char tmp[32];
	const char *k;

	t->records++;
	if (json_is_true(json_object_get(rec, "truncated")))
		t->truncated++;
	count_in(t->by_event, json_string_value(json_object_get(rec, "event")), 1);
	if ((k = field_key(rec, "errno", tmp, sizeof tmp)))
		count_in(t->by_errno, k, 1);
	if ((k = field_key(rec, "prog", tmp, sizeof tmp)))
		count_in(t->by_prog, k, 1);
	if ((k = field_key(rec, "peer", tmp, sizeof tmp)))
		count_in(t->by_peer, k, 1);
	take_site(t, rec, line, len);
}

static void take_bad(struct tally *t, enum bad_reason why, const char *name, json_int_t lineno)
{
	t->bad[why]++;
	if (!t->first_bad) {
		if (asprintf(&t->first_bad, "%s:%" JSON_INTEGER_FORMAT, name, lineno) < 0)
			die_oom();
	}
}

static void take_line(struct tally *t, const char *name, json_int_t lineno, char *line, size_t len)
{
	json_error_t err;
	json_t *rec;
	size_t i;

	while (len > 0 && line[len - 1] == '\r')
		len--;
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len) {
		t->blank++;
		return;
	}
	t->lines++;
	/* JSON_DECODE_ANY: a bare 42 is "not an object" rather than "not JSON" */
	rec = json_loadb(line, len, JSON_DECODE_ANY, &err);
	if (!rec)
		take_bad(t, BAD_NOT_JSON, name, lineno);
	else if (!json_is_object(rec))
		take_bad(t, BAD_NOT_OBJECT, name, lineno);
	else if (!json_is_string(json_object_get(rec, "event")))
		take_bad(t, BAD_NO_EVENT, name, lineno);
	else
		take_record(t, rec, line, len);
	json_decref(rec);
}

/* Reads one input to its end.  Returns false, with errno, on a read error. */
static bool read_input(struct tally *t, FILE *f, const char *name)
{
	static char line[LINE_CAP];
	json_int_t lineno = 0;
	size_t len = 0;
	bool too_long = false;
	int c;

	for (;;) {
		c = getc_unlocked(f);
		if (c == EOF || c == '\n') {
			/* a last line without its newline still counts: a log
			 * copied while the program wrote it ends that way */
			if (c == '\n' || len > 0 || too_long) {
				lineno++;
				if (too_long) {
					t->lines++;
					take_bad(t, BAD_TOO_LONG, name, lineno);
				} else {
					take_line(t, name, lineno, line, len);
				}
			}
			if (c == EOF)
				break;
			len = 0;
			too_long = false;
		} else if (len < sizeof line) {
			line[len++] = (char)c;
		} else {
			too_long = true;
		}
	}
	return !ferror(f);
}

/* ---- naming frames with libdw ------------------------------------------- */

/* One Dwfl per object, placed at address 0 so that its addresses are the
 * ELF virtual addresses the log's "offset" holds.  Objects cannot share one
 * Dwfl: all at 0, they would overlap.  A call site has a handful of
 * objects and only the top call sites are named, so a list will do. */
struct object {
	char *path;
	Dwfl *dwfl;
	Dwfl_Module *mod; /* NULL: not readable here; names come from the log */
	bool stale;       /* a frame of a call site differs: rebuilt since? */
};

/* pointers, not structs: an object must stay where it is as others are
 * added */
static struct object **objects;
static size_t nobjects;

static char *debuginfo_path;
static const Dwfl_Callbacks offline_callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	/* /usr/lib/debug/.build-id (libc6-dbg and the like), .gnu_debuglink */
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
	.debuginfo_path = &debuginfo_path,
};

static struct object *object_open(const char *path)
{
	struct object *o;
	struct stat st;
	size_t i;

	for (i = 0; i < nobjects; i++)
		if (strcmp(objects[i]->path, path) == 0)
			return objects[i];
	o = xrealloc(NULL, sizeof *o);
	memset(o, 0, sizeof *o);
	o->path = xstrdup(path);
	objects = xrealloc(objects, (nobjects + 1) * sizeof *objects);
	objects[nobjects++] = o;
	/* Only regular files: a log may name "[vdso]", or anything at all,
	 * and opening a FIFO would wait for ever. */
	if (!path[0] || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return o;
	o->dwfl = dwfl_begin(&offline_callbacks);
	if (!o->dwfl)
		return o;
	dwfl_report_begin(o->dwfl);
	/* ET_DYN with add_p_vaddr: bias 0, addresses are p_vaddr based;
	 * ET_EXEC is where it is linked, which is what the log says too. */
	o->mod = dwfl_report_elf(o->dwfl, path, path, -1, 0, true);
	dwfl_report_end(o->dwfl, NULL, NULL);
	if (!o->mod) {
		dwfl_end(o->dwfl);
		o->dwfl = NULL;
	}
	return o;
}

static void objects_close(void)
{
	for (size_t i = 0; i < nobjects; i++) {
		if (objects[i]->dwfl)
			dwfl_end(objects[i]->dwfl);
		free(objects[i]->path);
		free(objects[i]);
	}
	free(objects);
	objects = NULL;
	nobjects = 0;
}

/* The start of the function that a frame's "symbol" ("name+0x1f", from
 * dladdr at the return address OFF) names. */
static bool log_symbol_start(const char *sym, uint64_t off, uint64_t *start)
{
	const char *plus = sym ? strrchr(sym, '+') : NULL;
	uint64_t d;
	char *end;

	if (!plus || plus == sym || strncmp(plus + 1, "0x", 2) != 0 || !plus[3])
		return false;
	errno = 0;
	d = strtoull(plus + 3, &end, 16);
	if (errno || *end || d > off)
		return false;
	*start = off - d;
	return true;
}

/* What a frame's "symbol" says of the object file it names (*OBJ, NULL if
 * none): where the log's symbol says its function starts, a symbol of this
 * file must start.  An object rebuilt since the log was written would
 * otherwise give names and lines that look right and are not.  (Not "the
 * symbol around the address starts there": dladdr sees only the dynamic
 * symbols, and a local one nested in an exported one's range would look
 * like a change.) */
enum verdict { V_UNKNOWN, V_AGREES, V_DIFFERS };

static enum verdict check_frame(json_t *frame, struct object **obj)
{
	const char *module = json_string_value(json_object_get(frame, "module"));
	const char *sym = json_string_value(json_object_get(frame, "symbol"));
	uint64_t off, start;
	GElf_Off symoff;
	GElf_Sym esym;
	GElf_Word shndx;
	Elf *elf;
	Dwarf_Addr bias;

	*obj = NULL;
	if (!module || !frame_offset(frame, &off) || off == 0)
		return V_UNKNOWN;
	*obj = object_open(module);
	if (!(*obj)->mod || !log_symbol_start(sym, off, &start))
		return V_UNKNOWN;
	if (!dwfl_module_addrinfo((*obj)->mod, start, &symoff, &esym, &shndx, &elf, &bias) || symoff != 0)
		return V_DIFFERS;
	return V_AGREES;
}

/* A frame of a call site as the report shows it: where it is (module,
 * offset), the function and, with debug info, the source line. */
static json_t *name_frame(json_t *frame, bool stale)
{
	const char *module = json_string_value(json_object_get(frame, "module"));
	const char *logsym = json_string_value(json_object_get(frame, "symbol"));
	json_t *out = jcheck(json_object());
	const char *name = NULL, *file = NULL, *comp_dir = NULL;
	uint64_t off = 0, start = 0;
	bool have_off = frame_offset(frame, &off);
	struct object *o = NULL;
	int line = 0;

	jset(out, "module", module ? json_string(module) : json_null());
	jset(out, "offset", have_off ? json_sprintf("0x%" PRIx64, off) : json_null());
	if (module && have_off && off > 0)
		o = object_open(module);
	if (o && o->mod && !stale) {
		/* A return address: the call is the instruction before it,
		 * and may be the last one of its function. */
		uint64_t pc = off - 1;
		GElf_Off symoff;
		GElf_Sym esym;
		GElf_Word shndx;
		Elf *elf;
		Dwarf_Addr bias;
		Dwfl_Line *dl;

		name = dwfl_module_addrinfo(o->mod, pc, &symoff, &esym, &shndx, &elf, &bias);
		/* absolute symbols (GLIBC_2.2.5 and the like) are no code */
		if (name && shndx == SHN_ABS)
			name = NULL;
		if (name)
			start = pc - symoff;
		dl = dwfl_module_getsrc(o->mod, pc);
		if (dl) {
			file = dwfl_lineinfo(dl, NULL, &line, NULL, NULL, NULL);
			comp_dir = dwfl_line_comp_dir(dl);
		}
	}
	if (name) {
		/* "__libc_start_main@@GLIBC_2.34": the function is the name */
		char *fn = xstrdup(name), *sym;

		fn[strcspn(fn, "@")] = '\0';
		if (asprintf(&sym, "%s+0x%" PRIx64, fn, off - start) < 0)
			die_oom();
		jset(out, "function", jstr_lossy(fn));
		jset(out, "symbol", jstr_lossy(sym));
		free(fn);
		free(sym);
		jset(out, "from", json_string("libdw"));
	} else if (logsym) {
		const char *plus = strrchr(logsym, '+');

		jset(out, "function", plus && plus != logsym ?
		     json_stringn(logsym, (size_t)(plus - logsym)) : json_string(logsym));
		jset(out, "symbol", json_string(logsym));
		jset(out, "from", json_string("log"));
	} else {
		jset(out, "function", json_null());
		jset(out, "symbol", json_null());
		jset(out, "from", json_null());
	}
	if (file && line > 0) {
		jset(out, "file", jstr_lossy(file));
		jset(out, "line", json_integer(line));
		/* a relative name is relative to where it was compiled */
		if (file[0] != '/' && comp_dir)
			jset(out, "comp_dir", jstr_lossy(comp_dir));
	}
	if (stale)
		jset(out, "stale", json_true());
	return out;
}

/* The frames of a call site's backtrace BT, named.  An object is trusted
 * for the call site when the site's own frames in it agree with it; when
 * they say nothing, when no frame of any call site said it differs.  A
 * directory of logs that spans an upgrade then gets the new build's call
 * sites named in full and the old one's from the log. */
static json_t *name_frames(json_t *bt)
{
	size_t n = json_array_size(bt), j, k;
	struct object **objs = xrealloc(NULL, (n ? n : 1) * sizeof *objs);
	enum verdict *v = xrealloc(NULL, (n ? n : 1) * sizeof *v);
	json_t *frames = jcheck(json_array()), *fr;

	json_array_foreach(bt, j, fr)
		v[j] = check_frame(fr, &objs[j]);
	json_array_foreach(bt, j, fr) {
		bool agrees = false, differs = false;

		for (k = 0; k < n; k++) {
			if (!objs[j] || objs[k] != objs[j])
				continue;
			agrees |= v[k] == V_AGREES;
			differs |= v[k] == V_DIFFERS;
		}
		jappend(frames, name_frame(fr, differs || (!agrees && objs[j] && objs[j]->stale)));
	}
	free(objs);
	free(v);
	return frames;
}

/* ---- the report ---------------------------------------------------------- */

struct count {
	const char *key;
	json_int_t n;
};

static int count_cmp(const void *a, const void *b)
{
	const struct count *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* COUNTS ordered by count, the largest first (ties by name); at most TOP
 * of them unless TOP is 0. */
static json_t *counts_sorted(json_t *counts, size_t top)
{
	size_t n = json_object_size(counts), i = 0;
	struct count *c = xrealloc(NULL, (n ? n : 1) * sizeof *c);
	json_t *out = jcheck(json_object());
	const char *key;
	json_t *v;

	json_object_foreach(counts, key, v) {
		c[i].key = key;
		c[i++].n = json_integer_value(v);
	}
	qsort(c, n, sizeof *c, count_cmp);
	for (i = 0; i < n && (top == 0 || i < top); i++)
		jset(out, c[i].key, json_integer(c[i].n));
	free(c);
	return out;
}

static int site_cmp(const void *a, const void *b)
{
	const struct site *x = *(struct site *const *)a, *y = *(struct site *const *)b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static json_t *build_sites(struct tally *t, size_t top)
{
	struct site **order = xrealloc(NULL, (t->nsites ? t->nsites : 1) * sizeof *order);
	json_t *sites = jcheck(json_object()), *list = jcheck(json_array());
	json_t *stale = jcheck(json_array()), *fr;
	struct object *o;
	size_t i, j, shown;

	for (i = 0; i < t->nsites; i++)
		order[i] = &t->sites[i];
	qsort(order, t->nsites, sizeof *order, site_cmp);
	shown = top == 0 || top > t->nsites ? t->nsites : top;
	/* every object is checked before any frame is named from it */
	for (i = 0; i < shown; i++) {
		json_array_foreach(order[i]->frames, j, fr)
			if (check_frame(fr, &o) == V_DIFFERS)
				o->stale = true;
	}
	for (i = 0; i < shown; i++) {
		struct site *s = order[i];
		json_t *site = jcheck(json_object());

		jset(site, "count", json_integer(s->count));
		jset(site, "truncated", json_integer(s->truncated));
		jset(site, "events", counts_sorted(s->events, 0));
		jset(site, "frames", name_frames(s->frames));
		jset(site, "sample", json_string(s->sample));
		jappend(list, site);
	}
	for (i = 0; i < nobjects; i++)
		if (objects[i]->stale)
			jappend(stale, json_string(objects[i]->path));
	free(order);
	jset(sites, "distinct", json_integer((json_int_t)t->nsites));
	jset(sites, "records_with_backtrace", json_integer(t->with_backtrace));
	jset(sites, "records_without_backtrace", json_integer(t->records - t->with_backtrace));
	jset(sites, "stale_objects", stale);
	jset(sites, "top", list);
	return sites;
}

static json_t *build_report(struct tally *t, char **inputs, size_t ninputs, size_t top)
{
	json_t *doc = jcheck(json_object()), *names = jcheck(json_array());
	json_t *bad = jcheck(json_object()), *distinct = jcheck(json_object());
	json_int_t nbad = 0;
	size_t i;

	for (i = 0; i < ninputs; i++)
		jappend(names, jstr_lossy(inputs[i]));
	for (i = 0; i < BAD_N; i++) {
		nbad += t->bad[i];
		if (t->bad[i])
			jset(bad, bad_names[i], json_integer(t->bad[i]));
	}
	jset(distinct, "event", json_integer((json_int_t)json_object_size(t->by_event)));
	jset(distinct, "errno", json_integer((json_int_t)json_object_size(t->by_errno)));
	jset(distinct, "prog", json_integer((json_int_t)json_object_size(t->by_prog)));
	jset(distinct, "peer", json_integer((json_int_t)json_object_size(t->by_peer)));

	jset(doc, "version", json_string(SHIM_VERSION));
	jset(doc, "inputs", names);
	jset(doc, "lines", json_integer(t->lines));
	jset(doc, "blank_lines", json_integer(t->blank));
	jset(doc, "records", json_integer(t->records));
	jset(doc, "truncated", json_integer(t->truncated));
	jset(doc, "malformed", json_integer(nbad));
	jset(doc, "malformed_by_reason", bad);
	jset(doc, "first_malformed", t->first_bad ? jstr_lossy(t->first_bad) : json_null());
	jset(doc, "distinct", distinct);
	/* events and errno names are few; programs and peers may be
	 * thousands (a server's clients) */
	jset(doc, "by_event", counts_sorted(t->by_event, 0));
	jset(doc, "by_errno", counts_sorted(t->by_errno, 0));
	jset(doc, "by_prog", counts_sorted(t->by_prog, top));
	jset(doc, "by_peer", counts_sorted(t->by_peer, top));
	jset(doc, "call_sites", build_sites(t, top));
	return doc;
}

/* ---- text for people ----------------------------------------------------- */

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
	putchar('\n');
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

static void print_text(json_t *doc)
{
	json_t *inputs = json_object_get(doc, "inputs");
	json_t *distinct = json_object_get(doc, "distinct");
	json_t *sites = json_object_get(doc, "call_sites"), *v;
	json_t *top = json_object_get(sites, "top");
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

	/* one column of counts for all the tables, as wide as the largest
	 * count can be */
	width = snprintf(NULL, 0, "%" JSON_INTEGER_FORMAT, jint(doc, "records"));
	print_counts("events", json_object_get(doc, "by_event"), jint(distinct, "event"), width);
	print_counts("errno", json_object_get(doc, "by_errno"), jint(distinct, "errno"), width);
	print_counts("programs", json_object_get(doc, "by_prog"), jint(distinct, "prog"), width);
	print_counts("peers", json_object_get(doc, "by_peer"), jint(distinct, "peer"), width);

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

/* ---- command line -------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [--json] [--top N] LOG...\n"
		"Summarizes sockshim logs (JSON lines): records by event, errno, program and\n"
		"peer, and the busiest call sites, grouped by backtrace, with each frame's\n"
		"function and source line (from the object's debug info, read with libdw, or\n"
		"else the log's own symbol).\n"
		"\n"
		"  LOG        a log file, a glob pattern (\"/var/log/app/*.log\", expanded here\n"
		"             if the shell did not), or - for standard input\n"
		"  --json     print one JSON document with the same content instead of text\n"
		"  --top N    show the N busiest call sites, programs and peers (default %d;\n"
		"             0: all); events and errno values are always all shown\n"
		"  --help     print this and exit\n"
		"  --version  print the version and exit\n"
		"\n"
		"Lines that are not records (not JSON, not an object, without \"event\", longer\n"
		"than %d bytes) are counted as malformed and otherwise skipped; blank lines\n"
		"are ignored.  Records marked \"truncated\" (backtrace cut to fit) are counted\n"
		"as records, and also apart.\n"
		"\n"
		"Exit status: 0 if the logs hold at least one record, 1 if they hold none\n"
		"(empty, or malformed lines only: the report is printed all the same), 2 on\n"
		"a usage error or an input that cannot be read (nothing is printed on\n"
		"standard output then).\n",
		DEFAULT_TOP, LINE_CAP);
}

static void __attribute__((noreturn, format(printf, 1, 2))) usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '" PROG " --help'.\n");
	exit(EXIT_USAGE);
}

static size_t parse_top(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (!*s || *end || errno || n < 0 || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		usage_error("--top: '%s' is not a number of call sites (0 or more)", s);
	return (size_t)n;
}

static void add_input(char ***list, size_t *n, const char *path)
{
	*list = xrealloc(*list, (*n + 1) * sizeof **list);
	(*list)[(*n)++] = xstrdup(path);
}

/* Expands the LOG arguments into files.  Returns the number of arguments
 * that name nothing readable, each told on stderr. */
static int expand_inputs(char **args, int nargs, char ***list, size_t *n)
{
	struct stat st;
	int errors = 0;

	for (int i = 0; i < nargs; i++) {
		const char *a = args[i];
		glob_t g;
		int rc;

		if (strcmp(a, "-") == 0) {
			add_input(list, n, a);
			continue;
		}
		/* a file whose name holds '*' is that file, not a pattern */
		if (stat(a, &st) == 0 || !strpbrk(a, "*?[")) {
			add_input(list, n, a);
			continue;
		}
		rc = glob(a, 0, NULL, &g);
		if (rc == 0) {
			for (size_t j = 0; j < g.gl_pathc; j++)
				add_input(list, n, g.gl_pathv[j]);
		} else if (rc == GLOB_NOSPACE) {
			die_oom();
		} else {
			fprintf(stderr, PROG ": %s: no file matches\n", a);
			errors++;
		}
		globfree(&g);
	}
	/* every input is checked before any is read: a typo in the last of
	 * twenty names should not cost reading the nineteen others */
	for (size_t i = 0; i < *n; i++) {
		const char *p = (*list)[i];

		if (strcmp(p, "-") == 0)
			continue;
		if (stat(p, &st) != 0) {
			fprintf(stderr, PROG ": %s: %s\n", p, strerror(errno));
			errors++;
		} else if (S_ISDIR(st.st_mode)) {
			fprintf(stderr, PROG ": %s: is a directory\n", p);
			errors++;
		}
	}
	return errors;
}

static void tally_init(struct tally *t)
{
	memset(t, 0, sizeof *t);
	t->by_event = jcheck(json_object());
	t->by_errno = jcheck(json_object());
	t->by_prog = jcheck(json_object());
	t->by_peer = jcheck(json_object());
	t->site_index = jcheck(json_object());
}

static void tally_free(struct tally *t)
{
	for (size_t i = 0; i < t->nsites; i++) {
		json_decref(t->sites[i].events);
		json_decref(t->sites[i].frames);
		free(t->sites[i].sample);
	}
	free(t->sites);
	json_decref(t->by_event);
	json_decref(t->by_errno);
	json_decref(t->by_prog);
	json_decref(t->by_peer);
	json_decref(t->site_index);
	free(t->first_bad);
}

/* Reads the inputs and prints the report.  Returns the exit status.  All
 * is freed, so that valgrind and ASan show what the report leaks. */
static int report(char **inputs, size_t ninputs, size_t top, bool json)
{
	int status = EXIT_USAGE;
	struct tally t;
	json_t *doc;

	tally_init(&t);
	for (size_t i = 0; i < ninputs; i++) {
		bool is_stdin = strcmp(inputs[i], "-") == 0;
		const char *name = is_stdin ? "(stdin)" : inputs[i];
		FILE *f = is_stdin ? stdin : fopen(inputs[i], "r");
		bool ok = f && read_input(&t, f, name);

		if (!ok)
			fprintf(stderr, PROG ": %s: %s\n", name, strerror(errno));
		if (f && !is_stdin)
			fclose(f);
		if (!ok)
			goto out;
	}

	doc = build_report(&t, inputs, ninputs, top);
	if (json) {
		/* to a string first: json_dumpf fails alike for want of memory
		 * and a full disk, and the two call for different messages */
		char *text = json_dumps(doc, JSON_INDENT(2));

		if (!text)
			die_oom();
		puts(text);
		free(text);
	} else {
		print_text(doc);
	}
	json_decref(doc);
	if (fflush(stdout) != 0 || ferror(stdout))
		fprintf(stderr, PROG ": standard output: %s\n", strerror(errno));
	else
		status = t.records ? EXIT_RECORDS : EXIT_NO_RECORDS;
out:
	tally_free(&t);
	objects_close();
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"top", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	bool json = false;
	size_t top = DEFAULT_TOP, ninputs = 0;
	char **inputs = NULL;
	int c, status;

	opterr = 0; /* usage_error tells, the same way for every mistake */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 't':
			top = parse_top(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf(PROG " " SHIM_VERSION "\n");
			return 0;
		default:
			if (optopt == 't')
				usage_error("--top needs a number");
			usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		usage_error("no log named (use - for standard input)");

	if (expand_inputs(argv + optind, argc - optind, &inputs, &ninputs))
		status = EXIT_USAGE;
	else
		status = report(inputs, ninputs, top, json);
	for (size_t i = 0; i < ninputs; i++)
		free(inputs[i]);
	free(inputs);
	return status;
}
