/* Unit tests of backtrace.c's record frames against the loader: a module
 * unloaded behind the dlclose wrapper's back must not leave its old names
 * in records, whichever thread's check finds the unload first.  The
 * loader's list is the real one, seen through a wrapper of the test's own
 * (the shim's objects are linked with --wrap=dl_iterate_phdr: the
 * sanitizers' runtimes keep the real one), which can add an unload to the
 * count the loader reports (dlpi_subs) and give libjansson's mapping
 * another name. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "backtrace.h"
#include "record.h"
#include "symcache.h"

static unsigned long long extra_subs;		/* unloads the wrapper did not see */
static bool renamed;				/* libjansson's mapping, named anew */
static pthread_t first_thread;
static bool other_checks_first;			/* in first_thread's walk, once */

struct wrapped {
	int (*cb)(struct dl_phdr_info *, size_t, void *);
	void *ctx;
};

static int as_changed(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct wrapped *w = ctx;
	struct dl_phdr_info i = *info;

	i.dlpi_subs = info->dlpi_subs + extra_subs;
	if (renamed && info->dlpi_name && strstr(info->dlpi_name, "libjansson"))
		i.dlpi_name = "/fake/libother.so.1";
	return w->cb(&i, size, w->ctx);
}

static void *other_thread_checks(void *arg)
{
	(void)arg;
	symcache_sync();
	return NULL;
}

int __real_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *ctx);
int __wrap_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *ctx);

int __wrap_dl_iterate_phdr(int (*cb)(struct dl_phdr_info *, size_t, void *), void *ctx)
{
	struct wrapped w = {cb, ctx};

	if (other_checks_first && pthread_equal(pthread_self(), first_thread)) {
		pthread_t t;

		other_checks_first = false;
		assert_int_equal(pthread_create(&t, NULL, other_thread_checks, NULL), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
	}
	return __real_dl_iterate_phdr(as_changed, &w);
}

/* The "module" of the first frame of a record of ips[3]. */
static void first_module(void **ips, char *out, size_t size)
{
	char buf[4096];
	struct record r;
	json_t *j, *m;
	size_t n;

	rec_begin(&r, buf, sizeof buf);
	backtrace_add(&r, "backtrace", ips, 3, true);
	n = rec_end(&r);
	j = json_loadb(buf, n, 0, NULL);
	assert_non_null(j);
	m = json_object_get(json_array_get(json_object_get(j, "backtrace"), 0), "module");
	assert_true(json_is_string(m));
	snprintf(out, size, "%s", json_string_value(m));
	json_decref(j);
}

/* Two threads' records right after an unload the wrapper did not see:
 * the other thread's check finds it first (while this one's waits in the
 * loader's walk), so this one's finds nothing new.  This record must
 * still be made of the new generation's names: with the generation read
 * before the check, it replayed the text it had kept, naming the module
 * that had gone (libjansson instead of libother). */
static void test_regress_replay_after_anothers_sync(void **state)
{
	void *ips[3] = {(char *)json_loadb + 3, (char *)json_dumps + 3,
			(char *)json_object_get + 3};
	char module[256];

	(void)state;
	symcache_init();
	first_thread = pthread_self();
	assert_false(symcache_permanent(ips, 3));
	first_module(ips, module, sizeof module);
	assert_non_null(strstr(module, "libjansson"));
	first_module(ips, module, sizeof module); /* the kept text, replayed */
	assert_non_null(strstr(module, "libjansson"));
	extra_subs = 1;
	renamed = true;
	other_checks_first = true;
	first_module(ips, module, sizeof module);
	assert_false(other_checks_first); /* (the other thread did check first) */
	assert_string_equal(module, "/fake/libother.so.1");
	extra_subs = 0;
	renamed = false;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regress_replay_after_anothers_sync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
