/* Unit tests of the report's reading (tools/report/read.c): a plain file
 * cut into ranges of any size, read by several threads, counts what one
 * thread reading it whole counts, down to the line number of the first
 * malformed line; a gzip file (one member or several) counts the same; a
 * gzip file cut short is read up to the cut, with a warning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "read.h"

static char dir[] = "/tmp/test_report_read.XXXXXX";
static char plain[256], gz[256], gz2[256], cut[256];
static char *content;
static size_t content_len;

static void add(const char *s)
{
	size_t n = strlen(s);

	content = realloc(content, content_len + n + 1);
	memcpy(content + content_len, s, n + 1);
	content_len += n;
}

static void write_file(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void write_gz(const char *path, const char *data, size_t n, int members)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	fclose(f);
	/* each member appended, as `cat a.gz b.gz` makes one */
	for (int m = 0; m < members; m++) {
		size_t from = n * (size_t)m / (size_t)members, to = n * (size_t)(m + 1) / (size_t)members;
		gzFile g = gzopen(path, "ab");

		assert_non_null(g);
		if (to > from)
			assert_int_equal(gzwrite(g, data + from, (unsigned)(to - from)), (int)(to - from));
		assert_int_equal(gzclose(g), Z_OK);
	}
}

static int setup(void **state)
{
	char *big = malloc(LINE_CAP + 100);
	FILE *f;
	long size;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(plain, sizeof plain, "%s/log", dir);
	snprintf(gz, sizeof gz, "%s/log.1.gz", dir);
	snprintf(gz2, sizeof gz2, "%s/log.2.gz", dir);
	snprintf(cut, sizeof cut, "%s/cut.gz", dir);
	for (int i = 0; i < 300; i++) {
		char line[512];

		snprintf(line, sizeof line,
			 "{\"ts\":\"2026-11-30T10:%02d:00Z\",\"pid\":%d,\"prog\":\"p%d\",\"event\":\"%s\","
			 "\"host\":\"h%d\",\"peer\":\"10.0.0.%d:%d\",\"site\":\"%016x\"}\n",
			 i % 60, i, i % 3, i % 5 ? "close_rst" : "double_close", i % 2, i % 7, 1000 + i, i % 4);
		add(line);
		if (i % 37 == 0)
			add("Nov 30 10:00:00 h9 sshd[1]: other\n");
		if (i % 41 == 0)
			add("\n");
		if (i == 150)
			add("half a line\n");
		if (i == 200) {
			/* longer than a line may be: malformed, and not kept */
			memset(big, 'x', LINE_CAP + 99);
			big[LINE_CAP + 99] = '\0';
			add(big);
			add("\n");
		}
	}
	add("{\"event\":\"close_rst\",\"prog\":\"no newline\"}");
	free(big);
	write_file(plain, content, content_len);
	write_gz(gz, content, content_len, 1);
	write_gz(gz2, content, content_len, 3);
	/* the first 60 % of a gzip file */
	f = fopen(gz, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	{
		char *data = malloc((size_t)size);

		assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
		write_file(cut, data, (size_t)size * 6 / 10);
		free(data);
	}
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(plain);
	unlink(gz);
	unlink(gz2);
	unlink(cut);
	rmdir(dir);
	free(content);
	return 0;
}

static void read_one(const char *path, int threads, struct reading *r)
{
	char *names[] = {(char *)path};
	struct filter f = {0};

	assert_int_equal(read_inputs(names, 1, threads, &f, r), 0);
}

static int64_t count(const struct map *m, const char *key)
{
	struct ment *e = map_find(m, key, strlen(key));

	return e ? e->n : 0;
}

static void assert_same(const struct reading *a, const struct reading *b)
{
	assert_int_equal(a->tally.lines, b->tally.lines);
	assert_int_equal(a->tally.blank, b->tally.blank);
	assert_int_equal(a->tally.records, b->tally.records);
	assert_int_equal(a->tally.other, b->tally.other);
	for (int i = 0; i < BAD_N; i++)
		assert_int_equal(a->tally.bad[i], b->tally.bad[i]);
	assert_int_equal(a->tally.events.used, b->tally.events.used);
	map_foreach(&a->tally.events, e)
		assert_int_equal(count(&b->tally.events, e->key), e->n);
	assert_int_equal(a->tally.peer_ports4.used, b->tally.peer_ports4.used);
	imap_foreach(&a->tally.peer_ports4, e) {
		char name[32];

		peer4_name(e->key, true, name, sizeof name);
		assert_int_equal(tally_peer(&b->tally, NULL, name, true), e->n);
	}
	map_foreach(&a->tally.sites, e) {
		struct ment *o = map_find(&b->tally.sites, e->key, e->len);
		const struct site *s = e->aux, *t = o->aux;

		/* (the order of the first line depends on how the input
		 * was cut: the sample it chose does not) */
		assert_int_equal(s->count, t->count);
		assert_string_equal(s->sample, t->sample);
	}
	assert_int_equal(a->tally.ts_min, b->tally.ts_min);
	assert_int_equal(a->tally.ts_max, b->tally.ts_max);
}

static void test_whole(void **state)
{
	struct reading r;
	char want[300];

	(void)state;
	read_one(plain, 1, &r);
	assert_int_equal(r.tally.records, 301);
	assert_int_equal(r.tally.blank, 8);
	assert_int_equal(r.tally.other, 9);
	assert_int_equal(r.tally.bad[BAD_NOT_JSON], 1);
	assert_int_equal(r.tally.bad[BAD_TOO_LONG], 1);
	assert_int_equal(count(&r.tally.events, "double_close"), 60);
	assert_int_equal(r.tally.peers.used + r.tally.peers4.used, 7);
	/* "half a line" after record 150: lines before it are 151 records,
	 * 5 other and 4 blank */
	snprintf(want, sizeof want, "%s:%d", plain, 151 + 5 + 4 + 1);
	assert_string_equal(r.first_bad, want);
	assert_int_equal(r.nwarnings, 0);
	reading_free(&r);
}

/* Ranges of every size, lines across their edges, the long line over
 * several of them. */
static void test_ranges(void **state)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	/* Ranges of a byte or a few under the sanitizers: each range's
	 * buffer is reallocated, and ASan's quarantine makes that minutes. */
	static const uint64_t sizes[] = {100, 4096, LINE_CAP - 1, LINE_CAP + 1, 200000};
#else
	static const uint64_t sizes[] = {1, 7, 100, 4096, LINE_CAP - 1, LINE_CAP + 1, 200000};
#endif
	uint64_t saved = read_unit_bytes;
	struct reading whole, r;

	(void)state;
	read_unit_bytes = UINT64_MAX / 2;
	read_one(plain, 1, &whole);
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		for (int threads = 1; threads <= 3; threads += 2) {
			read_unit_bytes = sizes[i];
			read_one(plain, threads, &r);
			assert_same(&whole, &r);
			assert_string_equal(whole.first_bad, r.first_bad);
			reading_free(&r);
		}
	}
	read_unit_bytes = saved;
	reading_free(&whole);
}

static void test_gzip(void **state)
{
	struct reading p, g, g2;
	char want[300];

	(void)state;
	read_one(plain, 2, &p);
	read_one(gz, 2, &g);
	read_one(gz2, 2, &g2);
	assert_same(&p, &g);
	assert_same(&p, &g2);
	snprintf(want, sizeof want, "%s:%d", gz, 161);
	assert_string_equal(g.first_bad, want);
	assert_int_equal(g.nwarnings + g2.nwarnings, 0);
	reading_free(&p);
	reading_free(&g);
	reading_free(&g2);
}

/* A rotated file still being compressed: what is there, and a warning. */
static void test_gzip_cut(void **state)
{
	struct reading r;

	(void)state;
	read_one(cut, 1, &r);
	assert_int_equal(r.nwarnings, 1);
	assert_non_null(strstr(r.warnings[0], "cut short"));
	assert_true(r.tally.records > 0 && r.tally.records < 301);
	reading_free(&r);
}

/* Several inputs at once, some compressed: the sum of each. */
static void test_many(void **state)
{
	char *names[] = {plain, gz, gz2, plain};
	struct filter f = {0};
	struct reading r;
	char want[300];

	(void)state;
	assert_int_equal(read_inputs(names, 4, 0, &f, &r), 0);
	assert_int_equal(r.tally.records, 4 * 301);
	assert_int_equal(count(&r.tally.events, "double_close"), 4 * 60);
	/* the first input's */
	snprintf(want, sizeof want, "%s:%d", plain, 161);
	assert_string_equal(r.first_bad, want);
	reading_free(&r);
	/* one that cannot be opened: nothing is counted */
	names[1] = "/nonexistent/log";
	assert_int_equal(read_inputs(names, 2, 0, &f, &r), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole), cmocka_unit_test(test_ranges), cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_gzip_cut), cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
