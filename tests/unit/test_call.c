/* Unit tests of call.c's backtrace of a call: the close history's frames
 * unwound on the stack (no buffer set claimed), and a record in the same
 * call that gets them back from the history and goes on deeper from where
 * that unwinding stopped.  The unwinder is the test's own (the shim's
 * objects are linked with --wrap for backtrace.h's captures): 24 frames,
 * the cursor naming the next one by its number. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <string.h>

#include "backtrace.h"
#include "call.h"
#include "config.h"

#define FRAMES 24

static int resumes; /* calls of backtrace_resume_fast */

static void *frame(int i)
{
	return (void *)(uintptr_t)(0x10000 + 16 * i);
}

static int frames_from(int first, void **ips, int max, struct unwind_cursor *more)
{
	int n = 0;

	while (n < max && first + n < FRAMES) {
		ips[n] = frame(first + n);
		n++;
	}
	more->pc = first + n < FRAMES ? (uintptr_t)frame(first + n) : 0;
	more->sp = more->bp = 1;
	more->exact = false;
	return n;
}

int __wrap_backtrace_capture_fast(void **ips, int max, struct unwind_cursor *more,
				  uintptr_t site);
int __wrap_backtrace_capture_fast(void **ips, int max, struct unwind_cursor *more,
				  uintptr_t site)
{
	(void)site;
	return frames_from(0, ips, max, more);
}

int __wrap_backtrace_resume_fast(struct unwind_cursor *more, void **ips, int max);
int __wrap_backtrace_resume_fast(struct unwind_cursor *more, void **ips, int max)
{
	int first = (int)((more->pc - 0x10000) / 16);

	resumes++;
	assert_true(more->pc >= 0x10000 && first < FRAMES);
	return frames_from(first, ips, max, more);
}

int __wrap_backtrace_capture(void **ips, int max);
int __wrap_backtrace_capture(void **ips, int max)
{
	struct unwind_cursor more;

	return frames_from(0, ips, max, &more);
}

int __wrap_backtrace_from_frame_pointers(uintptr_t ip, uintptr_t sp, uintptr_t bp, void **ips,
					 int max);
int __wrap_backtrace_from_frame_pointers(uintptr_t ip, uintptr_t sp, uintptr_t bp, void **ips,
					 int max)
{
	(void)ip, (void)sp, (void)bp, (void)ips, (void)max;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	shim_cfg.backtrace = true;
	shim_cfg.backtrace_depth = 16;
	return 0;
}

/* A close that makes no record: its frames in the history, no set taken;
 * a record after it gets them back and the rest, in order. */
static void test_history_frames_back_in_a_record(void **state)
{
	struct call c;
	void *const *bt;
	int n;

	(void)state;
	call_enter(&c);
	assert_int_not_equal(call_backtrace_to_history(&c), 0);
	assert_int_equal(c.set, -1);
	assert_true(call_buffers(&c));
	n = call_backtrace_upto(&c, 16, &bt);
	assert_int_equal(n, 16);
	for (int i = 0; i < n; i++)
		assert_ptr_equal(bt[i], frame(i));
	call_leave(&c);
}

/* Review finding (2026-12-01): a record that found no set free (bt_taken,
 * no frames) and a set later in the same call went on from the cursor the
 * history's unwinding had left, 8 frames deep: its backtrace started at
 * the ninth frame.  Now a capture that had no set leaves nothing to go on
 * from.  Before the fix: bt[0] was frame(8). */
static void test_regress_resume_without_the_frames_before(void **state)
{
	static struct call others[CALL_POOL];
	struct call c;
	void *const *bt;
	int n, taken = 0;

	(void)state;
	call_enter(&c);
	assert_int_not_equal(call_backtrace_to_history(&c), 0);
	/* every set taken (by calls that look nested deep in a handler:
	 * their leaving only gives the set back) */
	for (int i = 0; i < CALL_POOL; i++) {
		others[i] = (struct call){.level = CALL_NEST - 1, .set = -1};
		taken += call_buffers(&others[i]);
	}
	assert_int_equal(taken, CALL_POOL);
	n = call_backtrace_upto(&c, 16, &bt);
	assert_int_equal(n, 0);
	for (int i = 0; i < CALL_POOL; i++)
		call_leave(&others[i]);
	assert_true(call_buffers(&c));
	n = call_backtrace_upto(&c, 16, &bt);
	/* whatever a record gets starts at the innermost frame */
	if (n > 0)
		assert_ptr_equal(bt[0], frame(0));
	call_leave(&c);
}

/* CI at ebaadaf (regress_altstack_close_no_backtrace: 232 bytes more of a
 * handler's small stack): with backtraces off, a record's call went on
 * from a cursor nobody had set (struct call's, on the stack, left as the
 * stack had it) and unwound.  With backtraces off nothing is unwound.
 * Before the fix: backtrace_resume_fast was called (this wrapper fails the
 * test), on garbage. */
static void test_regress_no_unwinding_with_backtraces_off(void **state)
{
	struct call c;
	void *const *bt;

	(void)state;
	shim_cfg.backtrace = false;
	memset(&c, 0xa5, sizeof c); /* what the stack held */
	call_enter(&c);
	assert_int_not_equal(call_backtrace_to_history(&c), 0); /* 0 frames kept */
	assert_true(call_buffers(&c));
	resumes = 0;
	assert_int_equal(call_backtrace_upto(&c, 16, &bt), 0);
	assert_int_equal(resumes, 0);
	call_leave(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_history_frames_back_in_a_record, setup),
		cmocka_unit_test_setup(test_regress_resume_without_the_frames_before, setup),
		cmocka_unit_test_setup(test_regress_no_unwinding_with_backtraces_off, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
