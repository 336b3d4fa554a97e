/* Unit tests of the report's line formats (tools/report/input.c) and its
 * JSON scanner (jscan.c): a record as the shim writes it, each syslog
 * file format of a collector, journalctl -o json, lines of other
 * programs, and JSON edge cases held against jansson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "jscan.h"

static struct line l;
static char text[LINE_CAP + 2];

#define REC "{\"ts\":\"2026-11-30T10:00:00.000001Z\",\"pid\":123,\"tid\":123,\"prog\":\"srv\"," \
	    "\"event\":\"close_rst\",\"host\":\"node-a\",\"peer\":\"10.0.0.1:5555\"}"

/* Parses S as the reader hands a line over: a newline after it. */
static void parse(const char *s)
{
	size_t n = strlen(s);

	assert_true(n <= LINE_CAP);
	memcpy(text, s, n);
	text[n] = '\n';
	line_parse(&l, text, n);
}

static void assert_span(const struct jspan *sp, const char *want)
{
	char buf[256];
	size_t n;
	const char *v = js_string(sp, buf, sizeof buf, &n);

	assert_non_null(v);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(v, want, n);
}

static void assert_record(enum fmt f, const char *host)
{
	assert_int_equal(l.kind, LINE_RECORD);
	assert_int_equal(l.fmt, f);
	assert_span(&l.rec->k[K_EVENT], "close_rst");
	assert_span(&l.rec->k[K_PROG], "srv");
	/* the record's own text, for the sample */
	assert_int_equal(l.json_len, strlen(REC));
	assert_memory_equal(l.json, REC, l.json_len);
	if (host)
		assert_span(&l.host, host);
	else
		assert_int_equal(l.host.type, JT_NONE);
}

static void test_jsonl(void **state)
{
	(void)state;
	parse(REC);
	assert_record(FMT_JSONL, NULL);
	assert_span(&l.rec->k[K_HOST], "node-a");
	/* leading and trailing whitespace is JSON's */
	parse(" " REC "\r");
	assert_int_equal(l.kind, LINE_RECORD);
	parse("   \t");
	assert_int_equal(l.kind, LINE_BLANK);
	parse("{\"prog\":\"x\"}");
	assert_int_equal(l.kind, LINE_BAD);
	assert_int_equal(l.bad, BAD_NO_EVENT);
	parse("[1]");
	assert_int_equal(l.bad, BAD_NOT_OBJECT);
	parse("{\"event\":\"close_rst\"");
	assert_int_equal(l.bad, BAD_NOT_JSON);
	parse("{\"event\":42}");
	assert_int_equal(l.bad, BAD_NO_EVENT);
}

static void test_syslog_traditional(void **state)
{
	(void)state;
	parse("Nov 30 10:00:00 web-1 sockshim[123]: " REC);
	assert_record(FMT_SYSLOG, "web-1");
	/* a day below 10 is padded with a space */
	parse("Nov  3 10:00:00 web-1 sockshim[123]: " REC);
	assert_record(FMT_SYSLOG, "web-1");
	/* the tag without a pid */
	parse("Nov 30 10:00:00 web-1 sockshim: " REC);
	assert_record(FMT_SYSLOG, "web-1");
	/* with <PRI>, as a relay may write what it received */
	parse("<11>Nov 30 10:00:00 web-1 sockshim[123]: " REC);
	assert_record(FMT_SYSLOG, "web-1");
	/* the datagram itself, as the shim sends it to /dev/log: no host */
	parse("<11>Nov 30 10:00:00 sockshim[123]: " REC);
	assert_record(FMT_SYSLOG, NULL);
	/* ours, but not a record */
	parse("Nov 30 10:00:00 web-1 sockshim[123]: {\"event\":");
	assert_int_equal(l.kind, LINE_BAD);
	assert_int_equal(l.bad, BAD_NOT_JSON);
	/* not a month: judged as JSON */
	parse("Foo 30 10:00:00 web-1 sockshim[123]: " REC);
	assert_int_equal(l.kind, LINE_BAD);
}

static void test_syslog_rfc3339(void **state)
{
	(void)state;
	/* Debian's rsyslog default (RSYSLOG_FileFormat) */
	parse("2026-11-30T10:00:00.123456+00:00 web-2 sockshim[123]: " REC);
	assert_record(FMT_SYSLOG_3339, "web-2");
	parse("2026-11-30T10:00:00Z web-2 sockshim[9]: " REC);
	assert_record(FMT_SYSLOG_3339, "web-2");
	/* RSYSLOG_ForwardFormat, as a relay writes it */
	parse("<11>2026-11-30T10:00:00.123456+01:00 web-2 sockshim[123]: " REC);
	assert_record(FMT_SYSLOG_3339, "web-2");
}

static void test_syslog_rfc5424(void **state)
{
	(void)state;
	parse("<11>1 2026-11-30T10:00:00.123Z web-3 sockshim 123 - - " REC);
	assert_record(FMT_SYSLOG_5424, "web-3");
	/* RSYSLOG_SyslogProtocol23Format: the message keeps the space it
	 * came with after the tag */
	parse("<11>1 2026-11-30T10:00:00.123456+00:00 web-3 sockshim 123 - -  " REC);
	assert_record(FMT_SYSLOG_5424, "web-3");
	/* without <PRI> */
	parse("1 2026-11-30T10:00:00.123Z web-3 sockshim 123 - - " REC);
	assert_record(FMT_SYSLOG_5424, "web-3");
	/* structured data, with escapes, and a byte order mark */
	parse("<11>1 2026-11-30T10:00:00.123Z web-3 sockshim 123 ID47 [a@1 x=\"]\\\"\\]\"][b@2] \xef\xbb\xbf" REC);
	assert_record(FMT_SYSLOG_5424, "web-3");
	/* the nil host */
	parse("<11>1 2026-11-30T10:00:00.123Z - sockshim 123 - - " REC);
	assert_record(FMT_SYSLOG_5424, NULL);
	/* structured data never closed */
	parse("<11>1 2026-11-30T10:00:00.123Z web-3 sockshim 123 - [a@1 x=\"y\" " REC);
	assert_int_equal(l.kind, LINE_BAD);
}

static void test_other_programs(void **state)
{
	(void)state;
	parse("Nov 30 10:00:00 web-1 sshd[77]: Accepted publickey for root");
	assert_int_equal(l.kind, LINE_OTHER);
	assert_int_equal(l.host.type, JT_NONE);
	parse("2026-11-30T10:00:00.123456+00:00 web-1 rsyslogd: [origin software=\"rsyslogd\"] start");
	assert_int_equal(l.kind, LINE_OTHER);
	/* no tag at all */
	parse("Nov 30 10:00:00 web-1 last message repeated 5 times");
	assert_int_equal(l.kind, LINE_OTHER);
	parse("<13>1 2026-11-30T10:00:00Z web-1 app 1 - - {\"event\":\"login\"}");
	assert_int_equal(l.kind, LINE_OTHER);
	/* a JSON message of another program that is not a shim's record */
	parse("Nov 30 10:00:00 web-1 app[1]: {\"event\":\"login\",\"user\":\"x\"}");
	assert_int_equal(l.kind, LINE_OTHER);
	/* a shim from before the fixed tag logged under the program's name */
	parse("Nov 30 10:00:00 web-1 srv[123]: " REC);
	assert_record(FMT_SYSLOG, "web-1");
}

/* Defect (a helper's sweep, F3): a host that forwards in RFC 5424, as
 * examples/rsyslog/sockshim-forward.conf does, to a collector that writes
 * with one of rsyslog's legacy file templates (RSYSLOG_FileFormat, Debian's
 * default; RSYSLOG_TraditionalFileFormat; RSYSLOG_ForwardFormat) gets lines
 * "HOST sockshim[PID] {json}": the syslogtag rsyslog makes of APP-NAME and
 * PROCID has no colon.  Each was counted as another program's line, and
 * the host left out of every total, exit 0.  Before: "0x2 != 0x1" (kind
 * LINE_OTHER, not LINE_RECORD) at the first line below.  Now our tag
 * without its colon is read in every header form read with it; nothing
 * else is: the name must be exactly sockshim, the pid digits, and the
 * message the record. */
static void test_regress_report_tag_without_colon(void **state)
{
	(void)state;
	/* RSYSLOG_FileFormat */
	parse("2026-11-30T10:00:00.123456+00:00 web-2 sockshim[123] " REC);
	assert_record(FMT_SYSLOG_3339, "web-2");
	/* RSYSLOG_TraditionalFileFormat */
	parse("Nov 30 10:00:00 web-1 sockshim[123] " REC);
	assert_record(FMT_SYSLOG, "web-1");
	parse("Nov  3 10:00:00 web-1 sockshim[123] " REC);
	assert_record(FMT_SYSLOG, "web-1");
	/* RSYSLOG_ForwardFormat, with <PRI> */
	parse("<12>2026-11-30T10:00:00.123456+00:00 web-2 sockshim[123] " REC);
	assert_record(FMT_SYSLOG_3339, "web-2");
	parse("<12>Nov 30 10:00:00 web-1 sockshim[123] " REC);
	assert_record(FMT_SYSLOG, "web-1");
	/* a nil PROCID: the APP-NAME alone (logger --rfc5424 without --id) */
	parse("2026-11-30T10:00:00Z web-2 sockshim " REC);
	assert_record(FMT_SYSLOG_3339, "web-2");
	/* no host */
	parse("<11>Nov 30 10:00:00 sockshim[123] " REC);
	assert_record(FMT_SYSLOG, NULL);
	/* a host named sockshim */
	parse("Nov 30 10:00:00 sockshim sockshim[123] " REC);
	assert_record(FMT_SYSLOG, "sockshim");
	/* ours, but not a record: malformed, as with the colon */
	parse("Nov 30 10:00:00 web-1 sockshim[123] {\"event\":");
	assert_int_equal(l.kind, LINE_BAD);
	assert_int_equal(l.bad, BAD_NOT_JSON);

	/* not ours */
	static const char *const others[] = {
		"Nov 30 10:00:00 web-1 sockshimd[123] " REC,
		"Nov 30 10:00:00 web-1 sockshi[123] " REC,
		"Nov 30 10:00:00 web-1 xsockshim[123] " REC,
		"Nov 30 10:00:00 web-1 sockshim[12a] " REC,
		"Nov 30 10:00:00 web-1 sockshim[] " REC,
		"Nov 30 10:00:00 web-1 sockshim[123 " REC,
		"Nov 30 10:00:00 web-1 sockshim[123]x " REC,
		"Nov 30 10:00:00 web-1 sockshim(123) " REC,
		"Nov 30 10:00:00 web-1 app[1] {\"event\":\"login\",\"user\":\"x\"}",
		"Nov 30 10:00:00 web-1 sockshim[123] started " REC,
		"Nov 30 10:00:00 web-1 sockshim[123] [1]",
		"Nov 30 10:00:00 web-1 sockshim[123] ",
		"Nov 30 10:00:00 web-1 sockshim[123]",
		/* without a host, the name alone may be the host's */
		"Nov 30 10:00:00 sockshim " REC,
		"2026-11-30T10:00:00Z sockshim " REC,
	};
	for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
		parse(others[i]);
		if (l.kind != LINE_OTHER)
			fail_msg("%s: kind %d, not LINE_OTHER", others[i], l.kind);
		assert_int_equal(l.host.type, JT_NONE);
	}
}

/* Defect (a helper's sweep): a record of 4080 to 4087 bytes, whose
 * SOCKSHIM_RECORD journalctl without --all prints as null (a field of 4096
 * bytes or more, its name included) but whose MESSAGE it prints whole, was
 * counted malformed: MESSAGE is read then. */
static void test_regress_report_journal_null_record(void **state)
{
	json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:n}", "__CURSOR", "s=1;i=2",
			      "__REALTIME_TIMESTAMP", "1795000000000000", "_HOSTNAME", "web-4",
			      "SYSLOG_IDENTIFIER", "sockshim", "MESSAGE", REC, "SOCKSHIM_RECORD");
	char *s;

	(void)state;
	assert_non_null(e);
	s = json_dumps(e, JSON_COMPACT);
	parse(s);
	assert_record(FMT_JOURNALD, "web-4");
	free(s);
	json_decref(e);
}

static void test_journald(void **state)
{
	json_t *rec = json_loads(REC, 0, NULL), *e;
	char *s;

	(void)state;
	assert_non_null(rec);
	/* journalctl -o json: the full record in SOCKSHIM_RECORD */
	e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "__CURSOR", "s=1;i=2", "__REALTIME_TIMESTAMP",
		      "1795000000000000", "_HOSTNAME", "web-4", "SYSLOG_IDENTIFIER", "sockshim", "MESSAGE",
		      "close_rst 10.0.0.1:5555", "SOCKSHIM_RECORD", REC);
	s = json_dumps(e, JSON_COMPACT);
	parse(s);
	assert_record(FMT_JOURNALD, "web-4");
	free(s);
	/* records that came through syslog into the journal: MESSAGE */
	json_object_del(e, "SOCKSHIM_RECORD");
	json_object_set_new(e, "MESSAGE", json_string(REC));
	s = json_dumps(e, JSON_COMPACT);
	parse(s);
	assert_record(FMT_JOURNALD, "web-4");
	free(s);
	/* a message journalctl prints as bytes */
	{
		json_t *bytes = json_array();

		for (const char *p = REC; *p; p++)
			json_array_append_new(bytes, json_integer((unsigned char)*p));
		json_object_set_new(e, "MESSAGE", bytes);
		s = json_dumps(e, JSON_COMPACT);
		parse(s);
		assert_record(FMT_JOURNALD, "web-4");
		free(s);
	}
	/* left out by journalctl (more than 4096 bytes, without --all) */
	json_object_set_new(e, "MESSAGE", json_null());
	s = json_dumps(e, JSON_COMPACT);
	parse(s);
	assert_int_equal(l.kind, LINE_BAD);
	assert_int_equal(l.bad, BAD_JOURNAL_NULL);
	free(s);
	/* another program's entry */
	json_object_set_new(e, "SYSLOG_IDENTIFIER", json_string("sshd"));
	json_object_set_new(e, "MESSAGE", json_string("Accepted publickey"));
	s = json_dumps(e, JSON_COMPACT);
	parse(s);
	assert_int_equal(l.kind, LINE_OTHER);
	free(s);
	json_decref(e);
	json_decref(rec);
}

/* The scanner accepts what jansson accepts, no more, no less. */
static void test_scanner_like_jansson(void **state)
{
	static const char *const cases[] = {
		"{}", "[]", "1", "-0", "1.5e3", "\"x\"", "true", "null", " {\"a\" : [1, 2.5, \"\\u00e9\"]} ",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
		"1e400", "1e-400", "01", "1.", ".5", "-", "+1", "1e", "1e+", "[1,]", "{\"a\":1,}", "{\"a\"}",
		"{1:2}", "\"\\ud83d\\ude00\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"", "\"\\u0000\"",
		"{\"a\\u0000\":1}", "\"\\x\"", "\"\\u12\"", "\"\xc3\xa9\"", "\"\xc3\"", "\"\xed\xa0\x80\"",
		"\"\xf4\x90\x80\x80\"", "\"\xc0\x80\"", "\"\xe0\x80\x80\"", "\"\xf0\x80\x80\x80\"", "\"\x7f\"",
		"\"a\tb\"", "tru", "truex", "nul", "[true false]", "{} {}", "\f1", "1\f",
		"{\"\\u0065vent\":\"close\"}", "{\"event\":\"a\",\"event\":\"b\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct jdoc d;
		size_t n = strlen(cases[i]);
		json_t *j = json_loadb(cases[i], n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		bool ok;

		memcpy(text, cases[i], n);
		text[n] = '\n';
		ok = js_scan(text, n, &d);
		if (ok != (j != NULL))
			fail_msg("%s: scanner %s, jansson %s", cases[i], ok ? "accepts" : "rejects",
				 j ? "accepts" : "rejects");
		if (j && json_is_object(j) && json_is_string(json_object_get(j, "event")))
			assert_span(&d.k[K_EVENT], json_string_value(json_object_get(j, "event")));
		json_decref(j);
	}
}

/* jansson quirks the scanner keeps: one NUL after a number or a word is
 * skipped, and values nest at most 2048 deep. */
static void test_scanner_quirks(void **state)
{
	static char buf[8192];
	struct jdoc d;
	size_t n = 0;

	(void)state;
	memcpy(buf, "[1\0]", 4);
	assert_true(js_scan(buf, 4, &d));
	memcpy(buf, "[true\0]", 7);
	assert_true(js_scan(buf, 7, &d));
	memcpy(buf, "[\"a\"\0]", 6);
	assert_false(js_scan(buf, 6, &d));
	for (int depth = 2047; depth <= 2049; depth++) {
		n = 0;
		for (int i = 0; i < depth; i++)
			buf[n++] = '[';
		buf[n++] = '1';
		for (int i = 0; i < depth; i++)
			buf[n++] = ']';
		buf[n] = '\n';
		/* the 1 is a value at depth + 1 */
		assert_int_equal(js_scan(buf, n, &d), depth + 1 <= 2048);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonl),
		cmocka_unit_test(test_syslog_traditional),
		cmocka_unit_test(test_syslog_rfc3339),
		cmocka_unit_test(test_syslog_rfc5424),
		cmocka_unit_test(test_other_programs),
		cmocka_unit_test(test_regress_report_tag_without_colon),
		cmocka_unit_test(test_journald),
		cmocka_unit_test(test_regress_report_journal_null_record),
		cmocka_unit_test(test_scanner_like_jansson),
		cmocka_unit_test(test_scanner_quirks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
