/* Unit tests of the supervisor's reader of Go's .gopclntab
 * (supervisor/gopcln.c), on a table made here in Go 1.18's layout: each
 * address is named by the function whose entry is the last at or below
 * it, with that entry; below the first, from the end marker on, and in a
 * table cut short or with another magic, nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "supervisor.h"

#define TEXT 0x401000u

static uint8_t tab[512];
static size_t tab_len;

static void put32(size_t off, uint32_t v) { memcpy(tab + off, &v, 4); }
static void put64(size_t off, uint64_t v) { memcpy(tab + off, &v, 8); }

/* main.a at +0x0, main.b at +0x40, runtime.c at +0x100, the end at
 * +0x180; names at 96, functab at 160, the _funcs after it */
static void make(uint32_t magic, uint64_t text)
{
	static const char names[] = "main.a\0main.b\0runtime.c";
	const uint32_t entries[4] = {0x0, 0x40, 0x100, 0x180};
	const uint32_t name_offs[3] = {0, 7, 14};
	size_t funcs = 160, pcln = 160, f0 = 8 * 4;

	memset(tab, 0, sizeof tab);
	put32(0, magic);
	tab[6] = 1, tab[7] = 8;
	put64(8, 3);	   /* nfunc */
	put64(16, 0);	   /* nfiles */
	put64(24, text);   /* textStart */
	put64(32, 96);	   /* funcnameOffset */
	put64(64, pcln);   /* pclnOffset */
	memcpy(tab + 96, names, sizeof names);
	for (int i = 0; i < 4; i++) {
		put32(funcs + 8 * i, entries[i]);
		put32(funcs + 8 * i + 4, i < 3 ? (uint32_t)(f0 + 8 * i) : 0);
	}
	for (int i = 0; i < 3; i++) {
		put32(pcln + f0 + 8 * i, entries[i]);
		put32(pcln + f0 + 8 * i + 4, name_offs[i]);
	}
	tab_len = pcln + f0 + 8 * 3;
}

static void test_names(void **state)
{
	struct sv_gopcln t;
	uint64_t start = 0;

	(void)state;
	make(0xfffffff1, TEXT);
	assert_true(sv_gopcln_open(&t, tab, tab_len, 0));
	assert_string_equal(sv_gopcln_name(&t, TEXT, &start), "main.a");
	assert_int_equal(start, TEXT);
	assert_string_equal(sv_gopcln_name(&t, TEXT + 0x3f, &start), "main.a");
	assert_string_equal(sv_gopcln_name(&t, TEXT + 0x40, &start), "main.b");
	assert_int_equal(start, TEXT + 0x40);
	assert_string_equal(sv_gopcln_name(&t, TEXT + 0x17f, &start), "runtime.c");
	assert_int_equal(start, TEXT + 0x100);
	assert_null(sv_gopcln_name(&t, TEXT + 0x180, &start));
	assert_null(sv_gopcln_name(&t, TEXT - 1, &start));
	/* Go 1.18's magic too */
	make(0xfffffff0, TEXT);
	assert_true(sv_gopcln_open(&t, tab, tab_len, 0));
	assert_string_equal(sv_gopcln_name(&t, TEXT + 0x50, &start), "main.b");
}

/* a position-independent build's header has no text address: .text's */
static void test_text_from_section(void **state)
{
	struct sv_gopcln t;
	uint64_t start;

	(void)state;
	make(0xfffffff1, 0);
	assert_true(sv_gopcln_open(&t, tab, tab_len, 0x2000));
	assert_string_equal(sv_gopcln_name(&t, 0x2041, &start), "main.b");
}

static void test_refused(void **state)
{
	struct sv_gopcln t;
	uint64_t start;

	(void)state;
	make(0xfffffffb, TEXT); /* Go 1.2's: another layout */
	assert_false(sv_gopcln_open(&t, tab, tab_len, 0));
	assert_null(sv_gopcln_name(&t, TEXT, &start));
	make(0xfffffff1, TEXT);
	assert_false(sv_gopcln_open(&t, tab, 40, 0)); /* the header cut */
	assert_false(sv_gopcln_open(&t, tab, 180, 0)); /* the functab cut */
	/* a functab of no room at all: refused (its size check wrapped,
	 * test_regress_gopcln_functab_size) */
	make(0xfffffff1, TEXT);
	put64(32, 40);	/* funcnameOffset within the 80 bytes, */
	put64(64, 76);	/* pclnOffset: 4 bytes before their end */
	assert_false(sv_gopcln_open(&t, tab, 80, 0));
	make(0xfffffff1, TEXT);
	/* a _func beyond the data: no name, no read past it */
	assert_true(sv_gopcln_open(&t, tab, 200, 0));
	assert_null(sv_gopcln_name(&t, TEXT + 0x100, &start));
	/* a name that does not end within the data */
	make(0xfffffff1, TEXT);
	tab[tab_len - 1] = 'x';				  /* the data's last byte, */
	put32(160 + 8 * 4 + 4, (uint32_t)(tab_len - 1 - 96)); /* main.a's name there */
	assert_true(sv_gopcln_open(&t, tab, tab_len, 0));
	assert_null(sv_gopcln_name(&t, TEXT, &start));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_text_from_section),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
