/* Unit tests of the framing of records for the log daemons (logframe.c):
 * syslog(3)'s header with its timestamp, the JSON field scanner, and
 * journald's native protocol (text and binary forms), the datagram parsed
 * back here as journald parses it. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logframe.h"
#include "record.h"
#include "sockshim.h"

/* ---- syslog ------------------------------------------------------------ */

static void head(char *out, int pri, int64_t local, int pid)
{
	size_t n = logframe_syslog_head(out, pri, local, pid);

	assert_true(n < LOGFRAME_SYSLOG_HEAD_MAX);
	out[n] = '\0';
}

static void test_syslog_head(void **state)
{
	char h[LOGFRAME_SYSLOG_HEAD_MAX + 1];

	(void)state;
	head(h, 12, 0, 1);
	assert_string_equal(h, "<12>Jan  1 00:00:00 sockshim[1]: ");
	/* 2026-11-25T04:30:58: a two-digit day */
	head(h, 14, 1795581058, 4194304);
	assert_string_equal(h, "<14>Nov 25 04:30:58 sockshim[4194304]: ");
	/* 2024-02-29T23:59:59: a leap day */
	head(h, 191, 1709251199, 77);
	assert_string_equal(h, "<191>Feb 29 23:59:59 sockshim[77]: ");
}

/* The same text as glibc's syslog(3) makes of the time: strftime's
 * "%h %e %T" (in the C locale) of the broken-down local time, here over
 * many times in the years the shim can meet. */
static void test_syslog_head_matches_strftime(void **state)
{
	char h[LOGFRAME_SYSLOG_HEAD_MAX + 1], want[64], stamp[32];
	unsigned seed = 12345;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		time_t t;
		struct tm tm;

		seed = seed * 1103515245 + 12345;
		t = (time_t)(946684800LL + (long long)(seed % 1000000000U) * 3); /* 2000..2095 */
		if (i < 400)
			t = (time_t)(1704067200LL + i * 86399LL); /* every day of 2024 */
		gmtime_r(&t, &tm);
		strftime(stamp, sizeof stamp, "%h %e %T", &tm);
		snprintf(want, sizeof want, "<13>%s sockshim[%d]: ", stamp, i);
		head(h, 13, (int64_t)t, i);
		if (strcmp(h, want) != 0)
			fail_msg("time %lld: %s, expected %s", (long long)t, h, want);
	}
}

/* A whole datagram, as a syslog daemon parses syslog(3)'s: priority,
 * RFC 3164 timestamp, tag, pid, and the message. */
static void test_syslog_datagram_parses(void **state)
{
	char h[LOGFRAME_SYSLOG_HEAD_MAX + 1], dgram[256];
	const char *json = "{\"event\":\"close_rst\"}";
	regex_t re;
	regmatch_t m[6];

	(void)state;
	head(h, 12, 1795581058, 999);
	snprintf(dgram, sizeof dgram, "%s%s", h, json);
	assert_int_equal(regcomp(&re,
				 "^<([0-9]{1,3})>([A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]) "
				 "([a-z]+)\\[([0-9]+)\\]: (.*)$",
				 REG_EXTENDED),
			 0);
	assert_int_equal(regexec(&re, dgram, 6, m, 0), 0);
	assert_int_equal(atoi(dgram + m[1].rm_so), 12);
	assert_memory_equal(dgram + m[3].rm_so, "sockshim", 8);
	assert_int_equal(m[3].rm_eo - m[3].rm_so, 8);
	assert_int_equal(atoi(dgram + m[4].rm_so), 999);
	assert_string_equal(dgram + m[5].rm_so, json);
	regfree(&re);
}

/* ---- the JSON scanner -------------------------------------------------- */

/* A record as the shim writes it, with nested objects that hold keys of
 * the same names as the top level's. */
static size_t sample(char *buf, size_t cap, const char *reason)
{
	struct record r;

	rec_begin(&r, buf, cap);
	rec_str(&r, "ts", "2026-11-25T04:30:58.083389Z");
	rec_int(&r, "pid", 12450);
	rec_str(&r, "prog", "events");
	rec_str(&r, "event", "close_rst");
	rec_int(&r, "fd", -5);
	rec_str(&r, "local", "127.0.0.1:43351");
	rec_str(&r, "peer", "[::1]:38890");
	if (reason)
		rec_str(&r, "reason", reason);
	rec_array_begin(&r, "backtrace");
	rec_object_begin(&r, NULL);
	rec_str(&r, "ip", "0x55711");
	rec_str(&r, "peer", "nested, not the top level's");
	rec_symbol(&r, "symbol", "rude_closer", 0x58);
	rec_object_end(&r);
	rec_object_begin(&r, NULL);
	rec_symbol(&r, "symbol", "main", 0x1a3);
	rec_object_end(&r);
	rec_array_end(&r);
	rec_bool(&r, "truncated_not", false);
	return rec_end(&r);
}

static void assert_span(const struct logframe_span *v, const char *text, bool string)
{
	if (v->n != strlen(text) || memcmp(v->p, text, v->n) != 0)
		fail_msg("got %.*s, expected %s", (int)v->n, v->p, text);
	assert_int_equal(v->string, string);
}

static void test_json_get(void **state)
{
	char buf[SHIM_RECORD_MAX];
	size_t len = sample(buf, sizeof buf, "unread_data");
	struct logframe_span v;

	(void)state;
	assert_true(logframe_json_get(buf, len, "event", &v));
	assert_span(&v, "close_rst", true);
	assert_true(logframe_json_get(buf, len, "peer", &v));
	assert_span(&v, "[::1]:38890", true);
	assert_true(logframe_json_get(buf, len, "fd", &v));
	assert_span(&v, "-5", false);
	assert_true(logframe_json_get(buf, len, "pid", &v));
	assert_span(&v, "12450", false);
	assert_true(logframe_json_get(buf, len, "truncated_not", &v));
	assert_span(&v, "false", false);
	assert_true(logframe_json_get(buf, len, "backtrace", &v));
	assert_false(v.string);
	assert_int_equal(v.p[0], '[');
	assert_int_equal(v.p[v.n - 1], ']');
	/* keys of nested objects are not the record's */
	assert_false(logframe_json_get(buf, len, "symbol", &v));
	assert_false(logframe_json_get(buf, len, "ip", &v));
	assert_false(logframe_json_get(buf, len, "site", &v));
	/* a key is matched whole */
	assert_false(logframe_json_get(buf, len, "even", &v));
	assert_false(logframe_json_get(buf, len, "events", &v));
	assert_true(logframe_json_first_symbol(buf, len, &v));
	assert_span(&v, "rude_closer+0x58", true);
}

static void test_json_escapes_and_bad_input(void **state)
{
	char buf[SHIM_RECORD_MAX];
	size_t len = sample(buf, sizeof buf, "a \"quoted\" \\ reason,\n}{ with \x01 and caf\xc3\xa9");
	struct logframe_span v;
	char out[128];
	size_t n;

	(void)state;
	assert_true(logframe_json_get(buf, len, "reason", &v));
	assert_true(v.string);
	n = logframe_json_unescape(v.p, v.n, out, sizeof out);
	assert_int_equal(n, strlen("a \"quoted\" \\ reason,\n}{ with \x01 and caf\xc3\xa9"));
	assert_memory_equal(out, "a \"quoted\" \\ reason,\n}{ with \x01 and caf\xc3\xa9", n);
	/* the fields after an escaped one are still found */
	assert_true(logframe_json_first_symbol(buf, len, &v));
	assert_span(&v, "rude_closer+0x58", true);

	/* not what the shim writes: no answer, no overrun */
	assert_false(logframe_json_get("", 0, "event", &v));
	assert_false(logframe_json_get("[1,2]", 5, "event", &v));
	assert_false(logframe_json_get("{\"event\"", 8, "event", &v));
	assert_false(logframe_json_get("{\"event\":\"open", 14, "event", &v));
	assert_false(logframe_json_get("{\"a\":[{\"b\":1}", 13, "event", &v));
	assert_false(logframe_json_get("{\"a\" 1,\"event\":\"x\"}", 19, "event", &v));
	/* every prefix of a record (a cut line) is safe */
	for (size_t k = 0; k < len; k++) {
		char *copy = malloc(k ? k : 1);

		memcpy(copy, buf, k);
		if (logframe_json_get(copy, k, "backtrace", &v))
			assert_true(v.p + v.n <= copy + k);
		logframe_json_first_symbol(copy, k, &v);
		free(copy);
	}
	/* a first frame without a symbol: none, even if a later one has */
	assert_false(logframe_json_first_symbol(
		"{\"backtrace\":[{\"ip\":\"0x1\"},{\"symbol\":\"main+0x1\"}]}", 50, &v));
	assert_false(logframe_json_first_symbol("{\"backtrace\":[]}", 16, &v));
}

static void test_unescape(void **state)
{
	const char *esc = "a\\nb\\tc\\/d\\\\e\\\"f\\r\\b\\f";
	char out[64];
	size_t n;

	(void)state;
	n = logframe_json_unescape(esc, strlen(esc), out, sizeof out);
	assert_int_equal(n, 14);
	assert_memory_equal(out, "a\nb\tc/d\\e\"f\r\b\f", 14);
	/* \u escapes: BMP, a surrogate pair, a lone surrogate, bad hex */
	esc = "\\u00e9\\ud83d\\ude00\\ud800x\\uzz";
	n = logframe_json_unescape(esc, strlen(esc), out, sizeof out);
	assert_int_equal(n, 2 + 4 + 3 + 1 + 3 + 2);
	assert_memory_equal(out, "\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx\xef\xbf\xbdzz", n);
	n = logframe_json_unescape("\\u0000", 6, out, sizeof out);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], '\0');
	/* cut at a character boundary, never in a sequence */
	n = logframe_json_unescape("ab\xc3\xa9", 4, out, 3);
	assert_int_equal(n, 2);
	n = logframe_json_unescape("ab\\u00e9", 8, out, 3);
	assert_int_equal(n, 2);
	n = logframe_json_unescape("abc\\", 4, out, sizeof out); /* a dangling backslash */
	assert_int_equal(n, 3);
}

/* ---- journald ---------------------------------------------------------- */

/* The datagram as one buffer. */
static size_t flatten(const struct logframe_journal *m, char *out, size_t cap)
{
	size_t n = 0;

	for (int i = 0; i < m->n_iov; i++) {
		assert_true(n + m->iov[i].iov_len <= cap);
		memcpy(out + n, m->iov[i].iov_base, m->iov[i].iov_len);
		n += m->iov[i].iov_len;
	}
	assert_int_equal(n, logframe_journal_size(m));
	return n;
}

struct field {
	char key[64];
	const char *value;
	size_t n;
	bool binary;
};

/* Parses a native datagram as journald does (journald-native.c): lines
 * KEY=value, or KEY followed by a newline, a 64-bit little-endian length,
 * the value and a newline. */
static int parse_native(const char *d, size_t len, struct field *f, int max)
{
	size_t i = 0;
	int count = 0;

	while (i < len) {
		const char *nl = memchr(d + i, '\n', len - i), *eq;

		assert_non_null(nl);
		assert_true(count < max);
		eq = memchr(d + i, '=', (size_t)(nl - (d + i)));
		if (eq) {
			size_t kl = (size_t)(eq - (d + i));

			assert_true(kl < sizeof f->key);
			memcpy(f[count].key, d + i, kl);
			f[count].key[kl] = '\0';
			f[count].value = eq + 1;
			f[count].n = (size_t)(nl - eq - 1);
			f[count].binary = false;
			i = (size_t)(nl - d) + 1;
		} else {
			size_t kl = (size_t)(nl - (d + i));
			uint64_t vl = 0;

			assert_true(kl < sizeof f->key);
			memcpy(f[count].key, d + i, kl);
			f[count].key[kl] = '\0';
			i += kl + 1;
			assert_true(i + 8 <= len);
			for (int k = 7; k >= 0; k--)
				vl = vl << 8 | (unsigned char)d[i + (size_t)k];
			i += 8;
			assert_true(i + vl + 1 <= len);
			f[count].value = d + i;
			f[count].n = vl;
			f[count].binary = true;
			i += vl;
			assert_int_equal(d[i], '\n');
			i++;
		}
		/* journald's rule for field names */
		for (const char *k = f[count].key; *k; k++)
			assert_true((*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') || *k == '_');
		assert_true(f[count].key[0] != '_' && f[count].key[0] != '\0');
		count++;
	}
	return count;
}

static const struct field *find(const struct field *f, int n, const char *key)
{
	const struct field *found = NULL;

	for (int i = 0; i < n; i++) {
		if (strcmp(f[i].key, key) == 0) {
			assert_null(found); /* each field once */
			found = &f[i];
		}
	}
	return found;
}

static void assert_field(const struct field *f, int n, const char *key, const char *value)
{
	const struct field *x = find(f, n, key);

	if (!x)
		fail_msg("no field %s", key);
	if (x->n != strlen(value) || memcmp(x->value, value, x->n) != 0)
		fail_msg("%s=%.*s, expected %s", key, (int)x->n, x->value, value);
}

static void test_journal_record(void **state)
{
	static struct logframe_journal m;
	static char buf[SHIM_RECORD_MAX], d[3 * SHIM_RECORD_MAX];
	size_t len = sample(buf, sizeof buf, "unread_data"), dl;
	struct field f[32];
	int n;

	(void)state;
	logframe_journal_record(&m, buf, len, 4);
	assert_false(m.full);
	dl = flatten(&m, d, sizeof d);
	n = parse_native(d, dl, f, 32);
	assert_int_equal(find(f, n, "MESSAGE")->n, len - 1); /* without the newline */
	assert_memory_equal(find(f, n, "MESSAGE")->value, buf, len - 1);
	assert_int_equal(find(f, n, SHIM_JOURNAL_RECORD)->n, len - 1);
	assert_memory_equal(find(f, n, SHIM_JOURNAL_RECORD)->value, buf, len - 1);
	assert_field(f, n, "PRIORITY", "4");
	assert_field(f, n, "SYSLOG_IDENTIFIER", "sockshim");
	assert_field(f, n, "SOCKSHIM_EVENT", "close_rst");
	assert_field(f, n, "SOCKSHIM_PEER", "[::1]:38890");
	assert_field(f, n, "SOCKSHIM_LOCAL", "127.0.0.1:43351");
	assert_field(f, n, "SOCKSHIM_REASON", "unread_data");
	assert_field(f, n, "CODE_FUNC", "rude_closer");
	assert_null(find(f, n, "SOCKSHIM_SITE"));
	assert_null(find(f, n, "SOCKSHIM_ERRNO"));
	for (int i = 0; i < n; i++)
		assert_false(f[i].binary);
}

/* Fields of other records: errno by name or by number, a site, an info
 * event, no backtrace. */
static void test_journal_other_fields(void **state)
{
	static struct logframe_journal m;
	static char d[3 * SHIM_RECORD_MAX];
	const char *a = "{\"event\":\"double_close\",\"errno\":\"EBADF\",\"site\":\"3f2a9c0d1e4b5a67\"}\n";
	const char *b = "{\"event\":\"close_error\",\"errno\":4242,\"site\":17,\"backtrace\":[{\"ip\":\"0x1\"}]}";
	struct field f[32];
	int n;

	(void)state;
	logframe_journal_record(&m, a, strlen(a), 6);
	n = parse_native(d, flatten(&m, d, sizeof d), f, 32);
	assert_field(f, n, "PRIORITY", "6");
	assert_field(f, n, "SOCKSHIM_EVENT", "double_close");
	assert_field(f, n, "SOCKSHIM_ERRNO", "EBADF");
	assert_field(f, n, "SOCKSHIM_SITE", "3f2a9c0d1e4b5a67");
	assert_null(find(f, n, "CODE_FUNC"));
	assert_null(find(f, n, "SOCKSHIM_PEER"));
	logframe_journal_record(&m, b, strlen(b), 4);
	n = parse_native(d, flatten(&m, d, sizeof d), f, 32);
	assert_field(f, n, "SOCKSHIM_ERRNO", "4242");
	assert_field(f, n, "SOCKSHIM_SITE", "17");
	assert_null(find(f, n, "CODE_FUNC")); /* the first frame has no symbol */
	assert_field(f, n, "MESSAGE", b);     /* no newline to drop */
}

/* A value holding a newline goes in the binary form, byte for byte. */
static void test_journal_binary_form(void **state)
{
	static struct logframe_journal m;
	static char buf[SHIM_RECORD_MAX], d[3 * SHIM_RECORD_MAX];
	const char *reason = "line one\nline two";
	size_t len = sample(buf, sizeof buf, reason), dl;
	struct field f[32];
	const struct field *r;
	const char *at;
	int n;

	(void)state;
	logframe_journal_record(&m, buf, len, 4);
	dl = flatten(&m, d, sizeof d);
	n = parse_native(d, dl, f, 32);
	r = find(f, n, "SOCKSHIM_REASON");
	assert_non_null(r);
	assert_true(r->binary);
	assert_int_equal(r->n, strlen(reason));
	assert_memory_equal(r->value, reason, r->n);
	/* the exact bytes: KEY \n len(LE64) value \n */
	at = memmem(d, dl, "SOCKSHIM_REASON\n", 16);
	assert_non_null(at);
	assert_memory_equal(at + 16, "\x11\0\0\0\0\0\0\0", 8);
	assert_memory_equal(at + 24, reason, 17);
	assert_int_equal(at[24 + 17], '\n');
	/* the JSON itself has no raw newline: text form */
	assert_false(find(f, n, "MESSAGE")->binary);

	/* the primitive on its own */
	logframe_journal_begin(&m);
	logframe_journal_add(&m, "A", "x\0y", 3);
	logframe_journal_add(&m, "B", "plain", 5);
	logframe_journal_add(&m, "C", "", 0);
	dl = flatten(&m, d, sizeof d);
	assert_int_equal(dl, 2 + 8 + 3 + 1 + 8 + 3);
	assert_memory_equal(d, "A\n\3\0\0\0\0\0\0\0x\0y\nB=plain\nC=\n", dl);
}

/* Long escaped values are cut to the room there is; nothing overflows and
 * the record's own fields are always there. */
static void test_journal_room(void **state)
{
	static struct logframe_journal m;
	static char buf[SHIM_RECORD_MAX], d[3 * SHIM_RECORD_MAX], reason[1601];
	struct field f[32];
	size_t len;
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof reason - 1; i++)
		reason[i] = i % 2 ? '\n' : 'x'; /* every other byte escaped */
	reason[sizeof reason - 1] = '\0';
	len = sample(buf, sizeof buf, reason);
	logframe_journal_record(&m, buf, len, 4);
	n = parse_native(d, flatten(&m, d, sizeof d), f, 32);
	assert_true(m.used <= sizeof m.bytes);
	assert_non_null(find(f, n, "MESSAGE"));
	assert_non_null(find(f, n, SHIM_JOURNAL_RECORD));
	assert_non_null(find(f, n, "SOCKSHIM_EVENT"));
	assert_non_null(find(f, n, "SOCKSHIM_REASON"));
	assert_true(find(f, n, "SOCKSHIM_REASON")->n <= LOGFRAME_JOURNAL_VALUE_MAX);
	assert_true(find(f, n, "SOCKSHIM_REASON")->binary);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syslog_head),
		cmocka_unit_test(test_syslog_head_matches_strftime),
		cmocka_unit_test(test_syslog_datagram_parses),
		cmocka_unit_test(test_json_get),
		cmocka_unit_test(test_json_escapes_and_bad_input),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_journal_record),
		cmocka_unit_test(test_journal_other_fields),
		cmocka_unit_test(test_journal_binary_form),
		cmocka_unit_test(test_journal_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
