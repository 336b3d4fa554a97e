/* Unit tests of the report's counting (tools/report/agg.c): suppressed
 * records added into the totals, hosts and peers attributed, call sites
 * by "site" and by backtrace, filters, and merging the tallies of threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "input.h"

static struct line l;
static char text[LINE_CAP + 2];

static void feed(struct tally *t, const char *s, uint64_t line_no)
{
	size_t n = strlen(s);

	memcpy(text, s, n);
	text[n] = '\n';
	line_parse(&l, text, n);
	tally_line(t, &l, 0, line_no);
}

static int64_t count(const struct map *m, const char *key)
{
	struct ment *e = map_find(m, key, strlen(key));

	return e ? e->n : 0;
}

static struct site *site(const struct tally *t, const char *key, size_t len)
{
	struct ment *e = map_find(&t->sites, key, len);

	assert_non_null(e);
	return e->aux;
}

#define BT(off) "\"backtrace\":[{\"ip\":\"0x55\",\"module\":\"/opt/app/srv\",\"offset\":\"" off "\"," \
		"\"symbol\":\"f+0x1\"},{\"module\":\"/lib/libc.so.6\",\"offset\":\"0x2724a\"}]"
#define DC(host, site, off) "{\"ts\":\"2026-11-30T10:00:0" host ".5Z\",\"pid\":1,\"prog\":\"srv\"," \
		"\"event\":\"double_close\",\"errno\":\"EBADF\",\"host\":\"h" host "\",\"site\":\"" site "\"," BT(off) "}"
#define SUP(host, site, n) "{\"ts\":\"2026-11-30T10:01:00Z\",\"pid\":1,\"prog\":\"srv\",\"event\":\"suppressed\"," \
		"\"suppressed_event\":\"double_close\",\"host\":\"h" host "\",\"site\":\"" site "\",\"count\":" n "}"

static void test_suppressed(void **state)
{
	struct tally t;
	struct site *s;

	(void)state;
	tally_init(&t, NULL);
	/* the summary before any record of its site */
	feed(&t, SUP("1", "00000000000000aa", "40"), 1);
	feed(&t, DC("1", "00000000000000aa", "0x1570"), 2);
	feed(&t, DC("1", "00000000000000aa", "0x1570"), 3);
	feed(&t, SUP("2", "00000000000000bb", "7"), 4);
	assert_int_equal(t.records, 4);
	assert_int_equal(t.summaries, 2);
	assert_int_equal(t.suppressed, 47);
	/* the totals are exact: 2 written and 47 held back */
	assert_int_equal(count(&t.events, "double_close"), 49);
	assert_int_equal(count(&t.events, "suppressed"), 0);
	assert_int_equal(count(&t.progs, "srv"), 49);
	assert_int_equal(count(&t.hosts, "h1"), 42);
	assert_int_equal(count(&t.hosts, "h2"), 7);
	/* errno is known only of the records written */
	assert_int_equal(count(&t.errnos, "EBADF"), 2);
	assert_int_equal(t.with_backtrace, 2);

	s = site(&t, "s00000000000000aa", 17);
	assert_int_equal(s->count, 42);
	assert_int_equal(s->suppressed, 40);
	assert_int_equal(s->records, 2);
	assert_int_equal(count(&s->events, "double_close"), 42);
	assert_string_equal(s->id, "00000000000000aa");
	assert_int_equal(s->first, AGG_ORDER(0, 1));
	/* the sample is a record with a backtrace, not the summary */
	assert_non_null(s->backtrace);
	assert_non_null(strstr(s->sample, "\"event\":\"double_close\""));
	/* a site known from its summary only */
	s = site(&t, "s00000000000000bb", 17);
	assert_int_equal(s->count, 7);
	assert_null(s->backtrace);
	tally_free(&t);
}

static void test_sites_by_backtrace(void **state)
{
	static const char *const recs[] = {
		"{\"event\":\"close_rst\"," BT("0x1570") "}",
		"{\"event\":\"close_rst\"," BT("0x01570") "}", /* the same address */
		"{\"event\":\"close_rst\"," BT("0x1571") "}",
		"{\"event\":\"close_rst\",\"backtrace\":[]}",
		"{\"event\":\"close_rst\"}",
	};
	struct tally t;

	(void)state;
	tally_init(&t, NULL);
	for (size_t i = 0; i < 5; i++)
		feed(&t, recs[i], i + 1);
	assert_int_equal(t.sites.used, 2);
	assert_int_equal(t.with_backtrace, 3);
	map_foreach(&t.sites, e) {
		struct site *s = e->aux;

		assert_null(s->id);
		assert_int_equal(s->count, s->first == AGG_ORDER(0, 1) ? 2 : 1);
	}
	tally_free(&t);
}

static void test_hosts_and_peers(void **state)
{
	struct tally t;
	struct host *h;

	(void)state;
	tally_init(&t, NULL);
	/* the collector's name first, then the record's, else none */
	feed(&t, "Nov 30 10:00:00 web-1 sockshim[1]: {\"event\":\"close_rst\",\"host\":\"node\",\"peer\":\"10.0.0.1:5555\",\"family\":\"inet\"}", 1);
	feed(&t, "{\"event\":\"close_rst\",\"host\":\"web-2\",\"peer\":\"10.0.0.1:6666\",\"family\":\"inet\"}", 2);
	feed(&t, "{\"event\":\"close_rst\",\"peer\":\"[::1]:80\",\"family\":\"inet6\"}", 3);
	feed(&t, "{\"event\":\"close_rst\",\"host\":\"web-2\",\"peer\":\"/run/a:1\",\"family\":\"unix\"}", 4);
	feed(&t, "{\"event\":\"close_rst\",\"host\":\"web-2\",\"peer\":\"fe80::1\"}", 5);
	assert_int_equal(count(&t.hosts, "web-1"), 1);
	assert_int_equal(count(&t.hosts, "web-2"), 3);
	assert_int_equal(count(&t.hosts, ""), 1);
	assert_int_equal(count(&t.hosts, "node"), 0);
	/* peers by address, without the port; and by address and port */
	assert_int_equal(tally_peer(&t, NULL, "10.0.0.1", false), 2);
	assert_int_equal(tally_peer(&t, NULL, "::1", false), 1);
	assert_int_equal(tally_peer(&t, NULL, "/run/a:1", false), 1);
	assert_int_equal(tally_peer(&t, NULL, "fe80::1", false), 1);
	assert_int_equal(tally_peer(&t, NULL, "10.0.0.1:5555", true), 1);
	assert_int_equal(tally_peer(&t, NULL, "10.0.0.1:6666", true), 1);
	assert_int_equal(tally_peer(&t, NULL, "[::1]:80", true), 1);
	assert_int_equal(t.peer_ports.used + t.peer_ports4.used, 5);
	/* and by host */
	h = map_find(&t.hosts, "web-2", 5)->aux;
	assert_int_equal(tally_peer(&t, h, "10.0.0.1", false), 1);
	assert_int_equal(tally_peer(&t, h, "/run/a:1", false), 1);
	assert_int_equal(tally_peer(&t, h, "::1", false), 0);
	assert_int_equal(count(&h->events, "close_rst"), 3);
	assert_int_equal(h->peers.used + h->npeers4, 3);
	h = map_find(&t.hosts, "web-1", 5)->aux;
	assert_int_equal(tally_peer(&t, h, "10.0.0.1", false), 1);
	tally_free(&t);
}

static void test_peer_address(void **state)
{
	static const char *const cases[][3] = {
		{"10.0.0.1:80", "inet", "10.0.0.1"}, {"[2001:db8::1]:443", "inet6", "2001:db8::1"},
		{"/run/x.sock", "unix", "/run/x.sock"}, {"/run/x:80", "unix", "/run/x:80"},
		{"host:", NULL, "host:"}, {"10.0.0.1", NULL, "10.0.0.1"}, {"a:b", NULL, "a:b"},
		{"[::1]", "inet6", "[::1]"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *addr, *fam = cases[i][1];
		size_t n;

		peer_address(cases[i][0], strlen(cases[i][0]), fam, fam ? strlen(fam) : 0, &addr, &n);
		assert_int_equal(n, strlen(cases[i][2]));
		assert_memory_equal(addr, cases[i][2], n);
	}
}

static void test_filters(void **state)
{
	char *events[] = {"double_close"}, *hosts[] = {"h1"};
	struct filter f = {.events = events, .nevents = 1};
	struct tally t;

	(void)state;
	tally_init(&t, &f);
	feed(&t, DC("1", "00000000000000aa", "0x1"), 1);
	feed(&t, SUP("1", "00000000000000aa", "40"), 2);
	feed(&t, "{\"ts\":\"2026-11-30T10:00:00Z\",\"event\":\"close_rst\"}", 3);
	/* a suppressed record counts as its event */
	assert_int_equal(t.records, 2);
	assert_int_equal(t.filtered, 1);
	assert_int_equal(count(&t.events, "double_close"), 41);
	tally_free(&t);

	/* [since, until) on "ts"; a record without one is left out */
	memset(&f, 0, sizeof f);
	assert_true(rfc3339_parse("2026-11-30T10:00:01Z", 20, false, &f.since));
	assert_true(rfc3339_parse("2026-11-30T11:01:00+01:00", 25, false, &f.until));
	f.since_set = f.until_set = true;
	tally_init(&t, &f);
	feed(&t, DC("0", "00000000000000aa", "0x1"), 1); /* 10:00:00.5 */
	feed(&t, DC("1", "00000000000000aa", "0x1"), 2); /* 10:00:01.5 */
	feed(&t, SUP("1", "00000000000000aa", "40"), 3);  /* 10:01:00, = until */
	feed(&t, "{\"event\":\"close_rst\"}", 4);
	assert_int_equal(t.records, 1);
	assert_int_equal(t.filtered, 3);
	tally_free(&t);

	memset(&f, 0, sizeof f);
	f.hosts = hosts;
	f.nhosts = 1;
	tally_init(&t, &f);
	feed(&t, DC("1", "00000000000000aa", "0x1"), 1);
	feed(&t, DC("2", "00000000000000aa", "0x1"), 2);
	feed(&t, "Nov 30 10:00:00 h1 sockshim[1]: {\"event\":\"close_rst\",\"host\":\"other\"}", 3);
	assert_int_equal(t.records, 2);
	assert_int_equal(count(&t.events, "close_rst"), 1);
	tally_free(&t);
}

static void test_rfc3339(void **state)
{
	int64_t us;
	char buf[RFC3339_MAX];

	(void)state;
	assert_true(rfc3339_parse("2026-11-25T04:30:58.083389Z", 27, false, &us));
	rfc3339_format(us, buf);
	assert_string_equal(buf, "2026-11-25T04:30:58.083389Z");
	assert_true(rfc3339_parse("1970-01-01T01:00:00+01:00", 25, false, &us));
	assert_int_equal(us, 0);
	assert_true(rfc3339_parse("2024-02-29", 10, true, &us));
	assert_false(rfc3339_parse("2024-02-29", 10, false, &us));
	assert_false(rfc3339_parse("2023-02-29", 10, true, &us));
	assert_true(rfc3339_parse("2026-11-30 10:00", 16, true, &us));
	rfc3339_format(us, buf);
	assert_string_equal(buf, "2026-11-30T10:00:00.000000Z");
	assert_false(rfc3339_parse("2026-11-30T10:00:00", 19, false, &us));
	assert_false(rfc3339_parse("2026-11-30T25:00:00Z", 20, false, &us));
	assert_false(rfc3339_parse("2026-11-30T10:00:00.Z", 21, false, &us));
}

/* Two threads' tallies merged count what one tally of every line counts,
 * and keep the earlier line's sample. */
static void test_merge(void **state)
{
	static const char *const lines[] = {
		DC("1", "00000000000000aa", "0x1570"), SUP("1", "00000000000000aa", "40"),
		"{\"event\":\"close_rst\",\"host\":\"h3\",\"peer\":\"10.0.0.9:1\"}", "not json",
		DC("2", "00000000000000aa", "0x1570"), SUP("2", "00000000000000cc", "3"), "[]",
	};
	struct tally one, a, b;
	struct site *s;

	(void)state;
	tally_init(&one, NULL);
	tally_init(&a, NULL);
	tally_init(&b, NULL);
	for (size_t i = 0; i < 7; i++) {
		size_t n = strlen(lines[i]);

		memcpy(text, lines[i], n);
		text[n] = '\n';
		line_parse(&l, text, n);
		tally_line(&one, &l, i < 4 ? 0 : 1, i + 1);
		/* the second half read first, by another thread */
		tally_line(i < 4 ? &b : &a, &l, i < 4 ? 0 : 1, i + 1);
	}
	tally_merge(&a, &b);
	tally_free(&b);
	assert_int_equal(a.records, one.records);
	assert_int_equal(a.lines, one.lines);
	assert_int_equal(a.bad[BAD_NOT_JSON], 1);
	assert_int_equal(a.bad[BAD_NOT_OBJECT], 1);
	assert_int_equal(a.first_bad, AGG_ORDER(0, 4));
	assert_int_equal(a.suppressed, 43);
	assert_int_equal(a.sites.used, one.sites.used);
	map_foreach(&one.events, e)
		assert_int_equal(count(&a.events, e->key), e->n);
	map_foreach(&one.hosts, e)
		assert_int_equal(count(&a.hosts, e->key), e->n);
	s = site(&a, "s00000000000000aa", 17);
	assert_int_equal(s->count, 42);
	assert_int_equal(s->first, AGG_ORDER(0, 1));
	assert_non_null(strstr(s->sample, "\"host\":\"h1\""));
	assert_int_equal(a.ts_min, one.ts_min);
	assert_int_equal(a.ts_max, one.ts_max);
	tally_free(&a);
	tally_free(&one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suppressed),	cmocka_unit_test(test_sites_by_backtrace),
		cmocka_unit_test(test_hosts_and_peers), cmocka_unit_test(test_peer_address),
		cmocka_unit_test(test_filters),		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
