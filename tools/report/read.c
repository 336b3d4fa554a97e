/* Reading the inputs (see read.h). */
#define _GNU_SOURCE
#include "read.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "report.h"

uint64_t read_unit_bytes = 16 << 20;
/* the read buffer: big reads, and room for a whole line of LINE_CAP */
#define BUF_BYTES ((1 << 20) + LINE_CAP + 2)

/* A piece of work: a range of a plain file, or a whole stream. */
struct unit {
	uint32_t input;
	bool stream;
	uint64_t start, end;  /* the lines that start in [start, end) */
	uint64_t weight;      /* about how long it takes to read */
	uint64_t lines;	      /* counted by the thread that read it */
	char *error;	      /* why it could not be read */
	char *warning;	      /* read in part */
};

struct job {
	char *const *names;
	struct unit *units;
	size_t nunits;
	size_t *order;	      /* the units, the biggest streams first */
	atomic_size_t next;
	const struct filter *filter;
};

/* A worker's hot fields share no cache line with another thread's: the
 * tally it counts into is its own allocation (the first worker's is the
 * reading's), and workers are a cache line apart. */
struct worker {
	pthread_t thread;
	struct job *job;
	struct tally *tally;
	struct line *line;
	char *buf;
} __attribute__((aligned(64)));

/* ---- lines from a source ----------------------------------------------- */

struct lreader {
	/* reads up to N bytes into DST: >0, 0 at the end, -1 on error */
	ssize_t (*fill)(struct lreader *r, char *dst, size_t n);
	char *buf;
	size_t head, tail;
	uint64_t pos;	 /* the source's offset of buf[head] */
	bool eof;
	/* the source */
	int fd;
	uint64_t off, limit; /* pread: the next offset; read at most to limit at once */
	gzFile gz;
};

static ssize_t fill_pread(struct lreader *r, char *dst, size_t n)
{
	ssize_t got;

	/* past the range, only what finishes its last line, in small reads */
	if (r->off < r->limit && n > r->limit - r->off)
		n = (size_t)(r->limit - r->off);
	else if (r->off >= r->limit && n > 65536)
		n = 65536;
	do
		got = pread(r->fd, dst, n, (off_t)r->off);
	while (got < 0 && errno == EINTR);
	if (got > 0)
		r->off += (uint64_t)got;
	return got;
}

static ssize_t fill_gz(struct lreader *r, char *dst, size_t n)
{
	int got = gzread(r->gz, dst, (unsigned)(n > (1u << 30) ? 1u << 30 : n));

	return got < 0 ? -1 : got;
}

/* The next line: 1 with *P and *LEN (P[LEN] is readable and below 0x20),
 * or *TOO_LONG; 0 at the end; -1 on a read error.  *AT: the source's
 * offset of the line. */
static int next_line(struct lreader *r, const char **p, size_t *len, bool *too_long, uint64_t *at)
{
	bool skipping = false;

	*at = r->pos;
	for (;;) {
		char *nl = memchr(r->buf + r->head, '\n', r->tail - r->head);
		size_t n;

		if (nl || r->eof) {
			n = nl ? (size_t)(nl - (r->buf + r->head)) : r->tail - r->head;
			if (!nl && n == 0 && !skipping)
				return 0;
			*too_long = skipping || n > LINE_CAP;
			*p = r->buf + r->head;
			*len = n;
			if (!nl)
				r->buf[r->tail] = '\0';
			n += nl != NULL;
			r->head += n;
			r->pos += n;
			return 1;
		}
		/* no newline in what is here */
		if (r->tail - r->head > LINE_CAP) {
			skipping = true;
			r->pos += r->tail - r->head;
			r->head = r->tail;
		}
		memmove(r->buf, r->buf + r->head, r->tail - r->head);
		r->tail -= r->head;
		r->head = 0;
		{
			ssize_t got = r->fill(r, r->buf + r->tail, BUF_BYTES - 1 - r->tail);

			if (got < 0)
				return -1;
			if (got == 0)
				r->eof = true;
			r->tail += (size_t)got;
		}
	}
}

/* ---- one unit ----------------------------------------------------------- */

static void unit_error(struct unit *u, const char *name, const char *what)
{
	if (asprintf(&u->error, "%s: %s", name, what) < 0)
		die_oom();
}

/* Reads the lines of R that start before END (all: UINT64_MAX) and
 * stores their number in *LINES.  SKIP: the first line is the end of one
 * that another unit reads. */
static int read_lines(struct worker *w, struct lreader *r, uint32_t unit, uint64_t end, bool skip,
		      uint64_t *lines)
{
	/* counted here, not in the unit: units of other threads share its
	 * cache line */
	uint64_t n = 0;
	const char *p;
	size_t len;
	bool too_long;
	uint64_t at;
	int rc;

	while ((rc = next_line(r, &p, &len, &too_long, &at)) == 1) {
		if (skip) {
			skip = false;
			continue;
		}
		if (at >= end)
			break;
		++n;
		if (too_long) {
			tally_too_long(w->tally, unit, n);
			continue;
		}
		while (len > 0 && p[len - 1] == '\r')
			len--;
		line_parse(w->line, p, len);
		tally_line(w->tally, w->line, unit, n);
	}
	*lines = n;
	return rc;
}

static void read_range(struct worker *w, uint32_t idx, struct unit *u, const char *name)
{
	struct lreader r = {.fill = fill_pread, .buf = w->buf};
	int fd = open(name, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		unit_error(u, name, strerror(errno));
		return;
	}
	r.fd = fd;
	/* from the byte before: a line starts at START if that is a newline */
	r.off = r.pos = u->start > 0 ? u->start - 1 : 0;
	r.limit = u->end + LINE_CAP + 1;
	if (read_lines(w, &r, idx, u->end, u->start > 0, &u->lines) < 0)
		unit_error(u, name, strerror(errno));
	close(fd);
}

static void read_stream(struct worker *w, uint32_t idx, struct unit *u, const char *name)
{
	struct lreader r = {.fill = fill_gz, .buf = w->buf};
	bool is_stdin = strcmp(name, "-") == 0;
	int fd = is_stdin ? dup(0) : open(name, O_RDONLY | O_CLOEXEC), errnum, rc;
	const char *msg;

	if (is_stdin)
		name = "(stdin)";
	if (fd < 0) {
		unit_error(u, name, strerror(errno));
		return;
	}
	/* zlib reads plain text through as it is: a pipe may hold either */
	r.gz = gzdopen(fd, "rb");
	if (!r.gz) {
		close(fd);
		unit_error(u, name, "out of memory");
		return;
	}
	gzbuffer(r.gz, 256 * 1024);
	rc = read_lines(w, &r, idx, UINT64_MAX, false, &u->lines);
	/* zlib tells a cut file (Z_BUF_ERROR) at what looks like its end */
	msg = gzerror(r.gz, &errnum);
	if (rc < 0 && errnum == Z_ERRNO) {
		unit_error(u, name, strerror(errno));
	} else if (rc < 0 || errnum != Z_OK) {
		if (asprintf(&u->warning, "%s: %s after %" PRIu64 " lines: the rest is not read", name,
			     errnum == Z_BUF_ERROR ? "compressed data cut short" : msg, u->lines) < 0)
			die_oom();
	}
	gzclose(r.gz);
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct job *job = w->job;
	size_t i;

	while ((i = atomic_fetch_add(&job->next, 1)) < job->nunits) {
		uint32_t idx = (uint32_t)job->order[i];
		struct unit *u = &job->units[idx];

		if (u->stream)
			read_stream(w, idx, u, job->names[u->input]);
		else
			read_range(w, idx, u, job->names[u->input]);
	}
	return NULL;
}

/* ---- planning ------------------------------------------------------------- */

int cores(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

static void add_unit(struct unit **units, size_t *n, uint32_t input, bool stream, uint64_t start, uint64_t end,
		     uint64_t weight)
{
	struct unit *u;

	*units = xrealloc(*units, (*n + 1) * sizeof **units);
	u = &(*units)[(*n)++];
	memset(u, 0, sizeof *u);
	u->input = input;
	u->stream = stream;
	u->start = start;
	u->end = end;
	u->weight = weight;
}

/* Cuts input I into units: a plain regular file into ranges, anything
 * else is one stream.  Returns false, told on stderr, if it cannot be
 * opened. */
static bool plan_input(const char *name, uint32_t i, struct unit **units, size_t *n)
{
	unsigned char magic[2];
	struct stat st;
	int fd;
	ssize_t got;

	if (strcmp(name, "-") == 0) {
		add_unit(units, n, i, true, 0, 0, UINT64_MAX);
		return true;
	}
	fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	got = S_ISREG(st.st_mode) ? pread(fd, magic, 2, 0) : 0;
	close(fd);
	if (!S_ISREG(st.st_mode) || (got == 2 && magic[0] == 0x1f && magic[1] == 0x8b)) {
		/* inflating and reading cost about 4 times reading the bytes */
		add_unit(units, n, i, true, 0, 0, S_ISREG(st.st_mode) ? (uint64_t)st.st_size * 4 : UINT64_MAX);
		return true;
	}
	for (uint64_t s = 0; s < (uint64_t)st.st_size || s == 0; s += read_unit_bytes) {
		uint64_t e = s + read_unit_bytes;

		/* the last range also takes what the file grew by since */
		add_unit(units, n, i, false, s, e >= (uint64_t)st.st_size ? UINT64_MAX : e,
			 (e < (uint64_t)st.st_size ? e : (uint64_t)st.st_size) - s);
		if (e >= (uint64_t)st.st_size)
			break;
	}
	return true;
}

static const struct unit *sort_units;

static int by_weight(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (sort_units[x].weight != sort_units[y].weight)
		return sort_units[x].weight > sort_units[y].weight ? -1 : 1;
	return x < y ? -1 : x > y;
}

int read_inputs(char *const *names, size_t n, int threads, const struct filter *f, struct reading *r)
{
	struct job job = {.names = names, .filter = f};
	struct worker *ws;
	int nthreads, status = 0;
	size_t i;

	memset(r, 0, sizeof *r);
	for (i = 0; i < n; i++) {
		if (!plan_input(names[i], (uint32_t)i, &job.units, &job.nunits)) {
			free(job.units);
			return -1;
		}
	}
	/* the longest first, so that no thread is left with a big stream at
	 * the end while the others wait */
	job.order = xcalloc(job.nunits, sizeof *job.order);
	for (i = 0; i < job.nunits; i++)
		job.order[i] = i;
	sort_units = job.units;
	qsort(job.order, job.nunits, sizeof *job.order, by_weight);

	nthreads = threads > 0 ? threads : cores();
	if ((size_t)nthreads > job.nunits)
		nthreads = job.nunits ? (int)job.nunits : 1;
	ws = aligned_alloc(64, (size_t)nthreads * sizeof *ws);
	if (!ws)
		die_oom();
	memset(ws, 0, (size_t)nthreads * sizeof *ws);
	for (int t = 0; t < nthreads; t++) {
		ws[t].job = &job;
		/* the maps of a tally point to its arena: it stays where it is */
		ws[t].tally = t == 0 ? &r->tally : aligned_alloc(64, (sizeof(struct tally) + 63) & ~(size_t)63);
		if (!ws[t].tally)
			die_oom();
		tally_init(ws[t].tally, filter_any(f) ? f : NULL);
		ws[t].line = xrealloc(NULL, sizeof *ws[t].line);
		ws[t].buf = xrealloc(NULL, BUF_BYTES);
	}
	/* this thread is the first worker */
	for (int t = 1; t < nthreads; t++)
		if (pthread_create(&ws[t].thread, NULL, work, &ws[t]) != 0) {
			fprintf(stderr, PROG ": cannot start a thread: %s\n", strerror(errno));
			exit(EXIT_USAGE);
		}
	work(&ws[0]);
	for (int t = 1; t < nthreads; t++)
		pthread_join(ws[t].thread, NULL);

	r->threads = nthreads;
	for (int t = 0; t < nthreads; t++) {
		if (t > 0) {
			tally_merge(&r->tally, ws[t].tally);
			tally_free(ws[t].tally);
			free(ws[t].tally);
		}
		free(ws[t].line);
		free(ws[t].buf);
	}
	free(ws);

	for (i = 0; i < job.nunits; i++) {
		struct unit *u = &job.units[i];

		if (u->error && status == 0) {
			fprintf(stderr, PROG ": %s\n", u->error);
			status = -1;
		}
		if (u->warning) {
			r->warnings = xrealloc(r->warnings, (r->nwarnings + 1) * sizeof *r->warnings);
			r->warnings[r->nwarnings++] = u->warning;
			u->warning = NULL;
		}
	}
	/* the first malformed line: its unit, and the lines before it in
	 * the same input */
	if (status == 0 && r->tally.have_bad) {
		uint32_t unit = (uint32_t)(r->tally.first_bad >> 40);
		uint64_t line = r->tally.first_bad & ((1ull << 40) - 1);
		const char *name = names[job.units[unit].input];

		for (i = unit; i > 0 && job.units[i - 1].input == job.units[unit].input; i--)
			line += job.units[i - 1].lines;
		if (asprintf(&r->first_bad, "%s:%" PRIu64, strcmp(name, "-") ? name : "(stdin)", line) < 0)
			die_oom();
	}
	for (i = 0; i < job.nunits; i++) {
		free(job.units[i].error);
		free(job.units[i].warning);
	}
	free(job.units);
	free(job.order);
	if (status != 0)
		reading_free(r);
	return status;
}

void reading_free(struct reading *r)
{
	tally_free(&r->tally);
	free(r->first_bad);
	for (size_t i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	memset(r, 0, sizeof *r);
}
