/* Unit tests of the language frames: the parser of CPython's dumped
 * traceback, and lang_backtrace in a record (read back with jansson). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include <dlfcn.h>
#include <link.h>

#include "elfsym.h"
#include "event.h"
#include "langtrace.h"
#include "record.h"
#include "sockshim.h"

static struct lang_capture cap;

static int parse(const char *text, int max)
{
	memset(&cap, 0, sizeof cap);
	cap.text_len = strlen(text);
	memcpy(cap.text, text, cap.text_len);
	return langtrace_parse_python(&cap, max);
}

static void expect_frame(int i, const char *fn, const char *file, int line)
{
	const struct lang_frame *f = &cap.frames[i];

	assert_string_equal(f->lang, "python");
	assert_int_equal(f->function_len, strlen(fn));
	assert_memory_equal(f->function, fn, f->function_len);
	assert_int_equal(f->file_len, strlen(file));
	assert_memory_equal(f->file, file, f->file_len);
	assert_int_equal(f->line, line);
}

/* What Python 3.11's _Py_DumpTraceback writes, innermost first. */
static void test_python_dump(void **state)
{
	(void)state;
	assert_int_equal(parse("Stack (most recent call first):\n"
			       "  File \"/usr/lib/python3.11/socket.py\", line 497 in _real_close\n"
			       "  File \"srv.py\", line 5 in answer_and_close\n"
			       "  File \"srv.py\", line 9 in <module>\n",
			       64),
			 3);
	expect_frame(0, "_real_close", "/usr/lib/python3.11/socket.py", 497);
	expect_frame(1, "answer_and_close", "srv.py", 5);
	expect_frame(2, "<module>", "srv.py", 9);
}

/* Odd lines: an unknown line number ("???"), a file name holding the
 * separator itself, a line cut by the buffer, "<no Python frame>", the
 * depth bound. */
static void test_python_odd(void **state)
{
	(void)state;
	assert_int_equal(parse("  File \"a\", line ??? in f\n"
			       "  File \"we\", line 1 in ird.py\", line 7 in g\n"
			       "  <no Python frame>\n"
			       "  File \"b\", line \n"
			       "garbage\n"
			       "  File \"c\", line 3 in h",
			       64),
			 2);
	expect_frame(0, "f", "a", -1);
	expect_frame(1, "g", "we\", line 1 in ird.py", 7);
	assert_int_equal(parse("  File \"a\", line 1 in f\n  File \"b\", line 2 in g\n", 1), 1);
	assert_int_equal(parse("", 64), 0);
	assert_int_equal(parse("Stack (most recent call first):\n  <no Python frame>\n", 64), 0);
}

static json_t *record_with(const struct lang_frame *f, int n, size_t cap_bytes, bool *truncated)
{
	static char buf[SHIM_RECORD_MAX];
	struct record r;
	json_error_t err;
	size_t len;
	json_t *j;

	rec_begin(&r, buf, cap_bytes);
	rec_str(&r, "event", "close_rst");
	langtrace_add(&r, "lang_backtrace", f, n);
	len = rec_end(&r);
	j = json_loadb(buf, len, 0, &err);
	if (!j)
		fail_msg("%s: %.*s", err.text, (int)len, buf);
	*truncated = json_is_true(json_object_get(j, "truncated"));
	return j;
}

static void test_record_shape(void **state)
{
	struct lang_frame f[2] = {
		{"java", "SeedServer.answerAndClose", "SeedServer.java", 25, 15, 19},
		{"java", "Lambda$2.run", "", 12, 0, -1}, /* no file, no line */
	};
	bool truncated;
	json_t *j = record_with(f, 2, SHIM_RECORD_MAX, &truncated), *lb, *fr;

	(void)state;
	assert_false(truncated);
	lb = json_object_get(j, "lang_backtrace");
	assert_int_equal(json_array_size(lb), 2);
	fr = json_array_get(lb, 0);
	assert_string_equal(json_string_value(json_object_get(fr, "lang")), "java");
	assert_string_equal(json_string_value(json_object_get(fr, "function")),
			    "SeedServer.answerAndClose");
	assert_string_equal(json_string_value(json_object_get(fr, "file")), "SeedServer.java");
	assert_int_equal(json_integer_value(json_object_get(fr, "line")), 19);
	fr = json_array_get(lb, 1);
	assert_null(json_object_get(fr, "file"));
	assert_null(json_object_get(fr, "line"));
	json_decref(j);
}

/* Frames that do not fit are left out whole, the record stays JSON and
 * says it was cut. */
static void test_record_cut(void **state)
{
	struct lang_frame f[40];
	bool truncated;
	json_t *j;

	(void)state;
	for (int i = 0; i < 40; i++)
		f[i] = (struct lang_frame){"python", "a_rather_long_function_name", "/srv/app/x.py", 27,
					   13, i};
	j = record_with(f, 40, 1024, &truncated);
	assert_true(truncated);
	assert_true(json_array_size(json_object_get(j, "lang_backtrace")) < 40);
	assert_true(json_array_size(json_object_get(j, "lang_backtrace")) > 0);
	json_decref(j);
}

/* The site: the same across directories (hosts), different across lines. */
static void test_site(void **state)
{
	struct lang_frame a = {"python", "f", "/opt/app/srv.py", 1, 15, 5};
	struct lang_frame b = {"python", "f", "/srv/app/srv.py", 1, 15, 5};
	struct lang_frame c = {"python", "f", "/opt/app/srv.py", 1, 15, 6};

	(void)state;
	assert_true(langtrace_site(42, &a, 1) == langtrace_site(42, &b, 1));
	assert_true(langtrace_site(42, &a, 1) != langtrace_site(42, &c, 1));
	assert_true(langtrace_site(42, &a, 1) != 42);
}

/* A record of event_build carries the frames before the native backtrace. */
static void test_event_field(void **state)
{
	static char buf[SHIM_RECORD_MAX];
	struct lang_frame f = {"ruby", "answer_and_close", "srv.rb", 16, 6, 9};
	struct event ev = EVENT_INIT(SHIM_EV_CLOSE_RST, LOG_SEV_ERROR);
	struct record r;
	json_t *j, *lb;
	size_t len;

	(void)state;
	ev.lang = &f;
	ev.lang_n = 1;
	event_build(&ev, NULL, 0, &r, buf, sizeof buf);
	len = rec_end(&r);
	j = json_loadb(buf, len, 0, NULL);
	assert_non_null(j);
	lb = json_object_get(j, "lang_backtrace");
	assert_int_equal(json_array_size(lb), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(lb, 0), "file")), "srv.rb");
	json_decref(j);
}

static int find_libc(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct elfsym_object *obj = ctx;

	(void)size;
	if (!strstr(info->dlpi_name, "libc.so"))
		return 0;
	obj->base = info->dlpi_addr;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			obj->dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	return 1;
}

/* The lookup in an object's own table finds what dlsym finds. */
static void test_elfsym(void **state)
{
	struct elfsym_object libc = {0, NULL};
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);

	(void)state;
	assert_non_null(h);
	dl_iterate_phdr(find_libc, &libc);
	assert_non_null(libc.dyn);
	assert_ptr_equal(elfsym_lookup(&libc, "getpid"), dlsym(h, "getpid"));
	assert_ptr_equal(elfsym_lookup(&libc, "dl_iterate_phdr"), dlsym(h, "dl_iterate_phdr"));
	assert_null(elfsym_lookup(&libc, "no_such_symbol_in_libc"));
	assert_null(elfsym_lookup(&libc, "errno")); /* a TLS symbol */
	dlclose(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_python_dump),  cmocka_unit_test(test_python_odd),
		cmocka_unit_test(test_record_shape), cmocka_unit_test(test_record_cut),
		cmocka_unit_test(test_site),	     cmocka_unit_test(test_event_field),
		cmocka_unit_test(test_elfsym),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
