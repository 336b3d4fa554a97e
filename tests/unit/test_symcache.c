/* Unit tests of symcache: every name it gives is the one dladdr1 gives
 * (module path, load address, nearest exported symbol of the address
 * before, a return address's call), for code of the
 * program, of libc and of libjansson, first and second sight; nothing for an
 * address in no module; after symcache_invalidate, looked up afresh; and
 * without look-ups (inside a handler) only what is known. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gnu/libc-version.h>
#include <sys/auxv.h>

#include "symcache.h"

/* Exported (the test is linked with -rdynamic): dladdr names it. */
__attribute__((noinline)) int symcache_test_exported(int x);
__attribute__((noinline)) int symcache_test_exported(int x)
{
	return x * 3 + 1;
}

static char exe[PATH_MAX];

/* What dladdr1 says of return address ip, in symcache's terms: the module
 * of ip, the symbol of the call before it, ip - 1
 * (regress_frame_after_noreturn_call). */
static void expected(uintptr_t ip, struct sym_frame *f)
{
	Dl_info info;
	struct link_map *lm = NULL;

	memset(f, 0, sizeof *f);
	if (!dladdr1((void *)ip, &info, (void **)&lm, RTLD_DL_LINKMAP) || !lm)
		return;
	f->module = lm->l_name[0] ? lm->l_name : exe;
	f->base = lm->l_addr;
	if (dladdr((void *)(ip - 1), &info) && info.dli_sname && info.dli_saddr) {
		f->symbol = info.dli_sname;
		f->symbol_addr = (uintptr_t)info.dli_saddr;
	}
}

static void check_same(uintptr_t ip)
{
	struct sym_frame want, got;

	expected(ip, &want);
	for (int sight = 0; sight < 2; sight++) {
		bool known = symcache_lookup(ip, true, &got);

		assert_int_equal(known, want.module != NULL);
		if (!known)
			continue;
		assert_string_equal(got.module, want.module);
		assert_int_equal(got.module_len, strlen(want.module));
		assert_int_equal(got.base, want.base);
		if (want.symbol) {
			assert_non_null(got.symbol);
			assert_string_equal(got.symbol, want.symbol);
			assert_int_equal(got.symbol_len, strlen(want.symbol));
			assert_int_equal(got.symbol_addr, want.symbol_addr);
		} else {
			assert_null(got.symbol);
		}
	}
}

static void test_same_as_dladdr(void **state)
{
	const void *fns[] = {
		(void *)symcache_test_exported, (void *)printf, (void *)malloc, (void *)memcpy,
		(void *)strlen, (void *)dlsym, (void *)json_loads, (void *)json_dumps, (void *)qsort,
	};

	(void)state;
	for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
		for (uintptr_t off = 0; off < 64; off += 7)
			check_same((uintptr_t)fns[i] + off);
	/* every 4 KiB of libc's code: inside static functions too (the
	 * nearest exported symbol, or none, as dladdr says) */
	{
		Dl_info info;

		assert_true(dladdr((void *)printf, &info));
		for (uintptr_t a = (uintptr_t)info.dli_fbase + 0x20000;
		     a < (uintptr_t)info.dli_fbase + 0x180000; a += 4093)
			check_same(a);
	}
}

static void test_no_module(void **state)
{
	struct sym_frame f;
	int on_stack;

	(void)state;
	assert_false(symcache_lookup((uintptr_t)&on_stack, true, &f));
	assert_null(f.module);
	assert_false(symcache_lookup(16, true, &f));
}

static void test_without_lookup(void **state)
{
	struct sym_frame f;
	uintptr_t seen = (uintptr_t)symcache_test_exported + 1;
	uintptr_t unseen = (uintptr_t)symcache_test_exported + 2; /* (a 4-byte function at -O2) */

	(void)state;
	symcache_invalidate();
	assert_true(symcache_lookup(seen, true, &f));
	/* cached: everything, symbol included */
	assert_true(symcache_lookup(seen, false, &f));
	assert_non_null(f.symbol);
	assert_string_equal(f.symbol, "symcache_test_exported");
	/* not cached: the module (from the table of modules), no symbol */
	assert_true(symcache_lookup(unseen, false, &f));
	assert_string_equal(f.module, exe);
	assert_null(f.symbol);
	/* ... and not kept so: a look-up finds the symbol afterwards */
	assert_true(symcache_lookup(unseen, true, &f));
	assert_string_equal(f.symbol, "symcache_test_exported");
	/* after an unload nothing is known until looked up again */
	symcache_invalidate();
	assert_false(symcache_lookup(seen, false, &f));
	assert_true(symcache_lookup(seen, true, &f));
	assert_string_equal(f.symbol, "symcache_test_exported");
	/* the strings are the shim's own copies, not the loader's */
	{
		Dl_info info;

		assert_true(dladdr((void *)seen, &info));
		assert_ptr_not_equal(f.symbol, info.dli_sname);
	}
}

/* Modules never unloaded: the program's code, libc's, the loader's; not a
 * library that came with the program but is none of those (jansson: asked
 * about, the safe side), nor the stack; every frame must be in one. */
static void test_permanent(void **state)
{
	int on_stack;
	/* (libc by a string of its own: a sanitizer's runtime intercepts
	 * printf, and &printf is then its) */
	void *prog = (void *)(uintptr_t)symcache_test_exported,
	     *libc = (void *)(uintptr_t)gnu_get_libc_version(),
	     *loader = (void *)getauxval(AT_BASE),
	     *jansson = (void *)(uintptr_t)json_object, *stack = &on_stack;
	void *all[] = {prog, libc, loader}, *mixed[] = {prog, jansson, libc};

	(void)state;
	assert_true(symcache_permanent(&prog, 1));
	assert_true(symcache_permanent(&libc, 1));
	assert_true(symcache_permanent(&loader, 1));
	assert_true(symcache_permanent(all, 3));
	assert_true(symcache_permanent(NULL, 0));
	assert_false(symcache_permanent(&jansson, 1));
	assert_false(symcache_permanent(&stack, 1));
	assert_false(symcache_permanent(mixed, 3));
}

/* Many addresses of one set: the cache keeps giving right answers. */
static void test_many(void **state)
{
	Dl_info info;

	(void)state;
	assert_true(dladdr((void *)printf, &info));
	for (int round = 0; round < 3; round++)
		for (uintptr_t a = (uintptr_t)printf; a < (uintptr_t)printf + 40000; a += 8)
			if (a % 1024 < 16)
				check_same(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_as_dladdr),
		cmocka_unit_test(test_no_module),
		cmocka_unit_test(test_without_lookup),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_permanent),
	};
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	exe[n > 0 ? n : 0] = '\0';
	symcache_init();
	assert_int_equal(symcache_test_exported(1), 4);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
