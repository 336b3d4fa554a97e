/* Unit tests of the supervisor's count of socket holders (supervisor/procs.c):
 * what dup and fork add and close takes away decides whether a close is the
 * last one (graceful close, close_rst).  Driven against a plain model,
 * with enough sockets to grow the table and empty it again (deletions
 * move entries back in their probe chains). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor.h"

static void test_unshared_is_last(void **state)
{
	(void)state;
	assert_int_equal(sv_share_close(12345), 1);
	assert_int_equal(sv_share_close(12345), 1);
}

static void test_dup_then_closes(void **state)
{
	(void)state;
	sv_share_add(77, 1);			/* dup: two holders */
	sv_share_add(77, 1);			/* fork: three */
	assert_int_equal(sv_share_close(77), 3); /* not the last */
	assert_int_equal(sv_share_close(77), 2);
	assert_int_equal(sv_share_close(77), 1); /* the last */
	assert_int_equal(sv_share_close(77), 1); /* forgotten: as never shared */
	sv_share_add(0, 1);			/* no inode: nothing */
	assert_int_equal(sv_share_close(0), 1);
}

#define N 5000
static void test_against_model(void **state)
{
	static int model[N];
	unsigned seed = 12345;

	(void)state;
	memset(model, 0, sizeof model);
	for (int step = 0; step < 200000; step++) {
		int i;

		seed = seed * 1103515245u + 12345u;
		i = (int)((seed >> 8) % N);
		/* inodes far apart and close together, to collide */
		uint64_t ino = ((i & 1) ? (uint64_t)i * 4096 + 10000000 : (uint64_t)i + 1000);

		if ((seed >> 4) & 1) {
			sv_share_add(ino, 1);
			model[i]++;
		} else {
			assert_int_equal(sv_share_close(ino), model[i] + 1);
			if (model[i] > 0)
				model[i]--;
		}
	}
	for (int i = 0; i < N; i++) {
		uint64_t ino = ((i & 1) ? (uint64_t)i * 4096 + 10000000 : (uint64_t)i + 1000);

		while (model[i] > 0)
			assert_int_equal(sv_share_close(ino), 1 + model[i]--);
		assert_int_equal(sv_share_close(ino), 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unshared_is_last),
		cmocka_unit_test(test_dup_then_closes),
		cmocka_unit_test(test_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
