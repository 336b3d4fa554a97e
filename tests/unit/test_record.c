/* Unit tests of the record writer: escaping, UTF-8, the size bound and
 * truncation.  Every record is read back with jansson, a real JSON parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "record.h"

/* Parses a finished record (must be one line ending in \n) and returns the
 * object. */
static json_t *parse(const char *buf, size_t len)
{
	json_error_t err;
	json_t *j;

	assert_true(len > 0);
	assert_int_equal(buf[len - 1], '\n');
	assert_null(memchr(buf, '\n', len - 1));
	j = json_loadb(buf, len, JSON_ALLOW_NUL, &err);
	if (!j)
		fail_msg("not JSON (%s): %.*s", err.text, (int)len, buf);
	assert_true(json_is_object(j));
	return j;
}

static void test_fields(void **state)
{
	char buf[512];
	struct record r;
	struct timespec ts = {1795000000, 123456789};
	json_t *j;
	size_t n;

	(void)state;
	rec_begin(&r, buf, sizeof buf);
	rec_time(&r, "ts", &ts);
	rec_int(&r, "pid", 4242);
	rec_int(&r, "neg", -17);
	rec_int(&r, "min", INT64_MIN);
	rec_str(&r, "event", "close_rst");
	rec_hex(&r, "offset", 0x1f2e);
	rec_bool(&r, "yes", true);
	rec_bool(&r, "no", false);
	n = rec_end(&r);
	j = parse(buf, n);
	assert_string_equal(json_string_value(json_object_get(j, "ts")),
			    "2026-11-18T11:06:40.123456Z");
	assert_int_equal(json_integer_value(json_object_get(j, "pid")), 4242);
	assert_int_equal(json_integer_value(json_object_get(j, "neg")), -17);
	assert_true(json_integer_value(json_object_get(j, "min")) == INT64_MIN);
	assert_string_equal(json_string_value(json_object_get(j, "event")), "close_rst");
	assert_string_equal(json_string_value(json_object_get(j, "offset")), "0x1f2e");
	assert_true(json_is_true(json_object_get(j, "yes")));
	assert_true(json_is_false(json_object_get(j, "no")));
	assert_null(json_object_get(j, "truncated"));
	json_decref(j);
}

/* Keys of every length the key copy treats apart (under 4, 4 to 7, 8 to
 * 16, longer), from literals and from a buffer, each read back exact. */
static void test_keys_of_every_length(void **state)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";
	char buf[4096], keys[40][41];
	struct record r;
	json_t *j;

	(void)state;
	rec_begin(&r, buf, sizeof buf);
	for (int n = 1; n <= 40; n++) {
		memcpy(keys[n - 1], letters, (size_t)n);
		keys[n - 1][n] = '\0';
		rec_int(&r, keys[n - 1], n);
	}
	rec_int(&r, "ts", 2);
	rec_int(&r, "tid", 3);
	rec_int(&r, "prog", 4);
	rec_int(&r, "errno", 5);
	rec_int(&r, "offset_", 7);
	rec_int(&r, "symbol__", 8);
	rec_int(&r, "first_backtrace", 15);
	rec_int(&r, "suppressed_event", 16);
	rec_int(&r, "suppressed_events", 17);
	rec_int(&r, "", 0);
	j = parse(buf, rec_end(&r));
	assert_int_equal(json_object_size(j), 40 + 10);
	assert_int_equal(json_integer_value(json_object_get(j, "")), 0);
	for (int n = 1; n <= 40; n++)
		assert_int_equal(json_integer_value(json_object_get(j, keys[n - 1])), n);
	assert_int_equal(json_integer_value(json_object_get(j, "ts")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "tid")), 3);
	assert_int_equal(json_integer_value(json_object_get(j, "prog")), 4);
	assert_int_equal(json_integer_value(json_object_get(j, "errno")), 5);
	assert_int_equal(json_integer_value(json_object_get(j, "offset_")), 7);
	assert_int_equal(json_integer_value(json_object_get(j, "symbol__")), 8);
	assert_int_equal(json_integer_value(json_object_get(j, "first_backtrace")), 15);
	assert_int_equal(json_integer_value(json_object_get(j, "suppressed_event")), 16);
	assert_int_equal(json_integer_value(json_object_get(j, "suppressed_events")), 17);
	json_decref(j);
}

/* Members formatted by another record go in whole, after a comma where
 * one is needed, or not at all (the record then full, like any append
 * that does not fit). */
static void test_members(void **state)
{
	char part[256] = "", buf[256];
	struct record m, r;
	json_t *j;
	size_t n;

	(void)state;
	rec_begin(&m, part, sizeof part);
	rec_str(&m, "prog", "a\"b");
	rec_str(&m, "host", "h");
	rec_begin(&r, buf, sizeof buf);
	rec_members(&r, part + 1, m.len - 1); /* first: no comma */
	rec_int(&r, "fd", 3);
	rec_members(&r, part + 1, m.len - 1); /* again, after a comma */
	rec_members(&r, part + 1, 0);	      /* none: no comma either */
	rec_int(&r, "after", 4);
	j = parse(buf, rec_end(&r));
	assert_string_equal(json_string_value(json_object_get(j, "prog")), "a\"b");
	assert_string_equal(json_string_value(json_object_get(j, "host")), "h");
	assert_int_equal(json_integer_value(json_object_get(j, "fd")), 3);
	assert_int_equal(json_integer_value(json_object_get(j, "after")), 4);
	json_decref(j);

	rec_begin(&r, buf, sizeof buf);
	rec_members(&r, part + 1, 0); /* none, first: the next needs no comma */
	rec_int(&r, "fd", 5);
	j = parse(buf, rec_end(&r));
	assert_int_equal(json_integer_value(json_object_get(j, "fd")), 5);
	json_decref(j);

	rec_begin(&r, buf, 64);
	rec_str(&r, "event", "close_error");
	rec_members(&r, part + 1, 60); /* cannot fit: nothing of it */
	n = rec_end(&r);
	j = parse(buf, n);
	assert_null(json_object_get(j, "prog"));
	assert_string_equal(json_string_value(json_object_get(j, "event")), "close_error");
	assert_true(json_is_true(json_object_get(j, "truncated")));
	json_decref(j);
}

/* A stamp and what rec_format_time must make of it. */
struct stamp {
	long long sec;
	long nsec;
	const char *want;
};

/* The stamps in turn, each exact. */
static void check_stamps(const struct stamp *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct timespec ts = {(time_t)cases[i].sec, cases[i].nsec};
		char out[28];

		rec_format_time(&ts, out);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_time_format(void **state)
{
	static const struct stamp cases[] = {
		{0, 0, "1970-01-01T00:00:00.000000Z"},
		{951782400, 999999999, "2000-02-29T00:00:00.999999Z"}, /* leap day */
		{1709251199, 5000, "2024-02-29T23:59:59.000005Z"},
		{4102444800, 0, "2100-01-01T00:00:00.000000Z"},
		{-1, 0, "1969-12-31T23:59:59.000000Z"},
	};

	(void)state;
	check_stamps(cases, sizeof cases / sizeof cases[0]);
}

/* Stamps one after another, as records come: several in one second (its
 * date and time of day kept from the first), then another second, then
 * back. */
static void test_time_same_second(void **state)
{
	static const struct stamp seq[] = {
		{1709251199, 5000, "2024-02-29T23:59:59.000005Z"},
		{1709251199, 999999000, "2024-02-29T23:59:59.999999Z"},
		{1709251200, 0, "2024-03-01T00:00:00.000000Z"},
		{1709251200, 1000, "2024-03-01T00:00:00.000001Z"},
		{1709251199, 1000, "2024-02-29T23:59:59.000001Z"},
		{0, 0, "1970-01-01T00:00:00.000000Z"},
		{0, 7000, "1970-01-01T00:00:00.000007Z"},
	};

	(void)state;
	check_stamps(seq, sizeof seq / sizeof seq[0]);
}

/* Each string goes in and must come back exactly (valid UTF-8), or with
 * U+FFFD in place of each byte that is not UTF-8. */
static void roundtrip_n(const char *in, size_t in_len, const char *want, size_t want_len)
{
	char buf[1024];
	struct record r;
	json_t *j, *v;
	size_t n;

	rec_begin(&r, buf, sizeof buf);
	rec_strn(&r, "s", in, in_len);
	n = rec_end(&r);
	j = parse(buf, n);
	v = json_object_get(j, "s");
	assert_non_null(v);
	assert_int_equal(json_string_length(v), want_len);
	assert_memory_equal(json_string_value(v), want, want_len);
	json_decref(j);
}

static void roundtrip(const char *in, size_t in_len, const char *want)
{
	roundtrip_n(in, in_len, want, strlen(want));
}

static void test_escaping(void **state)
{
	(void)state;
	roundtrip("plain", 5, "plain");
	roundtrip("say \"hi\"", 8, "say \"hi\"");
	roundtrip("C:\\path\\", 8, "C:\\path\\");
	roundtrip("a\nb\rc\td", 7, "a\nb\rc\td");
	roundtrip("\x01\x1f\x7f", 3, "\x01\x1f\x7f");
	roundtrip("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14,
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* an embedded NUL (abstract unix socket names) travels as \u0000 */
	roundtrip_n("@a\0b", 4, "@a\0b", 4);
}

static void test_not_utf8(void **state)
{
	(void)state;
	/* a latin-1 path, a stray continuation byte, an overlong '/', a UTF-16
	 * surrogate, a sequence cut short at the end, beyond U+10FFFF */
	roundtrip("/tmp/\xe9t\xe9", 8, "/tmp/\xef\xbf\xbdt\xef\xbf\xbd");
	roundtrip("\x80x", 2, "\xef\xbf\xbdx");
	roundtrip("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd");
	roundtrip("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	roundtrip("ab\xe2\x82", 4, "ab\xef\xbf\xbd\xef\xbf\xbd");
	roundtrip("\xf4\x90\x80\x80", 4,
		  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

static void add_frames(struct record *r, int count)
{
	rec_array_begin(r, "backtrace");
	for (int i = 0; i < count; i++) {
		struct rec_mark m;

		rec_mark(r, &m);
		rec_object_begin(r, NULL);
		rec_hex(r, "ip", 0x7f0000001000ull + (unsigned)i);
		rec_str(r, "module", "/usr/lib/x86_64-linux-gnu/libexample.so.1");
		rec_hex(r, "offset", 0x1000u + (unsigned)i);
		rec_str(r, "symbol", "some_function_name+0x1f");
		rec_object_end(r);
		if (r->full) { /* the frame did not fit: drop it whole */
			rec_rollback(r, &m);
			r->truncated = true;
			break;
		}
	}
	rec_array_end(r);
}

static void test_size_bound_and_truncation(void **state)
{
	for (size_t cap = 64; cap <= 4096; cap += 37) {
		char buf[4096];
		struct record r;
		json_t *j, *bt;
		size_t n;

		(void)state;
		rec_begin(&r, buf, cap);
		rec_str(&r, "event", "double_close");
		rec_int(&r, "fd", 7);
		add_frames(&r, 64);
		rec_str(&r, "after", "x");
		n = rec_end(&r);
		assert_true(n <= cap);
		j = parse(buf, n);
		bt = json_object_get(j, "backtrace");
		if (bt) {
			assert_true(json_is_array(bt));
			assert_true(json_array_size(bt) < 64);
			for (size_t i = 0; i < json_array_size(bt); i++)
				assert_non_null(json_object_get(json_array_get(bt, i), "symbol"));
		}
		assert_true(json_is_true(json_object_get(j, "truncated")));
		json_decref(j);
	}
}

static void test_nothing_truncated_when_it_fits(void **state)
{
	char buf[4096];
	struct record r;
	json_t *j;

	(void)state;
	rec_begin(&r, buf, sizeof buf);
	add_frames(&r, 16);
	j = parse(buf, rec_end(&r));
	assert_int_equal(json_array_size(json_object_get(j, "backtrace")), 16);
	assert_null(json_object_get(j, "truncated"));
	json_decref(j);
}

static void test_huge_string(void **state)
{
	static char big[10000];
	char buf[4096];
	struct record r;
	json_t *j;
	size_t n;

	(void)state;
	memset(big, '"', sizeof big - 1); /* every byte doubles when escaped */
	rec_begin(&r, buf, sizeof buf);
	rec_str(&r, "event", "config_error");
	rec_str(&r, "value", big);
	rec_int(&r, "pid", 1);
	n = rec_end(&r);
	assert_true(n <= sizeof buf);
	j = parse(buf, n);
	assert_string_equal(json_string_value(json_object_get(j, "event")), "config_error");
	assert_null(json_object_get(j, "value"));
	assert_true(json_is_true(json_object_get(j, "truncated")));
	json_decref(j);
}

/* rec_frame writes what the generic writers would: every combination of
 * module and symbol, plain strings copied and others escaped alike, and a
 * frame that does not fit leaves nothing of itself. */
static void frames(const struct rec_frame *f, int n, char *buf, size_t cap, size_t *len)
{
	struct record r;

	rec_begin(&r, buf, cap);
	rec_array_begin(&r, "bt");
	for (int i = 0; i < n; i++) {
		bool was = r.full;

		rec_frame(&r, &f[i]);
		if (r.full) {
			r.full = was;
			r.truncated = true;
			break;
		}
	}
	rec_array_end(&r);
	*len = rec_end(&r);
}

static void test_frames(void **state)
{
	static const char quoted[] = "/opt/a \"b\"\\c.so", odd[] = "sym\xff\x01";
	struct rec_frame f[] = {
		{.ip = 0x7f0000001234},
		{.ip = 0, .module = "/lib/libc.so.6", .module_len = 14, .module_plain = true,
		 .offset = 0x2724a},
		{.ip = 0xffffffffffffffff, .module = "/lib/libc.so.6", .module_len = 14,
		 .module_plain = true, .offset = 0x10, .symbol = "__libc_start_main", .symbol_len = 17,
		 .symbol_plain = true, .symbol_off = 0x85},
		{.ip = 0x10, .module = quoted, .module_len = sizeof quoted - 1, .offset = 1,
		 .symbol = odd, .symbol_len = sizeof odd - 1, .symbol_off = 0},
	};
	char buf[1024];
	size_t len;
	json_t *j, *a;

	(void)state;
	frames(f, 4, buf, sizeof buf, &len);
	j = parse(buf, len);
	a = json_object_get(j, "bt");
	assert_int_equal(json_array_size(a), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "ip")),
			    "0x7f0000001234");
	assert_int_equal(json_object_size(json_array_get(a, 0)), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 1), "ip")), "0x0");
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 1), "offset")),
			    "0x2724a");
	assert_null(json_object_get(json_array_get(a, 1), "symbol"));
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 2), "ip")),
			    "0xffffffffffffffff");
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 2), "symbol")),
			    "__libc_start_main+0x85");
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 3), "module")),
			    quoted);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 3), "symbol")),
			    "sym\xef\xbf\xbd\x01+0x0");
	assert_null(json_object_get(j, "truncated"));
	json_decref(j);
	/* too small for the third: two frames and truncated, whatever the size */
	for (size_t cap = 60; cap < 260; cap++) {
		frames(f, 4, buf, cap, &len);
		j = parse(buf, len);
		a = json_object_get(j, "bt");
		if (json_array_size(a) < 4)
			assert_true(json_is_true(json_object_get(j, "truncated")));
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_keys_of_every_length),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_time_same_second),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_size_bound_and_truncation),
		cmocka_unit_test(test_nothing_truncated_when_it_fits),
		cmocka_unit_test(test_huge_string),
		cmocka_unit_test(test_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
