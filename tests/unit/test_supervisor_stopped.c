/* Unit tests of where a trapped thread stopped (supervisor/unwind.c,
 * sv_stopped_at): /proc/TID/syscall as the kernel gives it, read through a
 * fake that plays a script of its contents. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include <sys/types.h>

#include "supervisor.h"

/* The file's contents at each read (the last one again once the script
 * ends; NULL: the read fails), and whether the call still waits. */
struct script {
	const char *const *reads;
	int n;
	bool pending;
	int calls; /* reads made */
};

static ssize_t play(void *arg, char *buf, size_t size)
{
	struct script *s = arg;
	const char *now = s->reads[s->calls < s->n ? s->calls : s->n - 1];
	size_t len;

	s->calls++;
	if (!now)
		return -1;
	len = strlen(now) < size ? strlen(now) : size;
	memcpy(buf, now, len);
	return (ssize_t)len;
}

static bool waits(void *arg)
{
	return ((struct script *)arg)->pending;
}

static const char stopped[] = "3 0x5 0x0 0x0 0x7f1ac01a2b60 0x0 0x0 0x7ffd4b331f80 0x7f1ac028ba1a\n";

/* sv_stopped_at over the script reads[n] (pending: the call waits); *calls:
 * how many reads it made. */
static bool stopped_from(const char *const *reads, int n, bool pending, int *calls, uint64_t *sp,
			 uint64_t *pc)
{
	struct script s = {reads, n, pending, 0};
	bool known = sv_stopped_at(play, waits, &s, sp, pc);

	*calls = s.calls;
	return known;
}

static void parses_sp_and_pc(void **state)
{
	const char *reads[] = {stopped};
	uint64_t sp = 0, pc = 0;
	int calls;

	(void)state;
	assert_true(stopped_from(reads, 1, true, &calls, &sp, &pc));
	assert_int_equal(sp, 0x7ffd4b331f80ULL);
	assert_int_equal(pc, 0x7f1ac028ba1aULL);
	assert_int_equal(calls, 1);
}

/* Go's threads: no newline after the pc is fine too. */
static void parses_without_newline(void **state)
{
	const char *reads[] = {"3 0x8 0x0 0x0 0x0 0x0 0x0 0xc000084db8 0x4026ae"};
	uint64_t sp = 0, pc = 0;
	int calls;

	(void)state;
	assert_true(stopped_from(reads, 1, true, &calls, &sp, &pc));
	assert_int_equal(sp, 0xc000084db8ULL);
	assert_int_equal(pc, 0x4026aeULL);
}

static void not_known_when_unreadable_or_garbled(void **state)
{
	/* unreadable, garbled, and a thread in no system call (gone from
	 * the trapped one; "-1 0x0 0x0": exited): no trapped call's stack */
	const char *reads[][1] = {{NULL},
				  {"3 0x5 zz"},
				  {"-1 0x7ffd4b331f80 0x7f1ac028ba1a\n"},
				  {"-1 0x0 0x0\n"}};
	uint64_t sp = 0, pc = 0;
	int calls;

	(void)state;
	for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++)
		assert_false(stopped_from(reads[i], 1, true, &calls, &sp, &pc));
}

/* The defect: a thread the supervisor's wake-up found still on the CPU
 * ("running": its notification sent, not yet asleep on the answer) got no
 * frames at all, 1 trapped call in 10,000 to 40,000 of a busy program.
 * Read again while the call waits; before the fix, one read and false. */
static void regress_supervise_backtrace_running(void **state)
{
	const char *reads[] = {"running\n", "running\n", stopped};
	uint64_t sp = 0, pc = 0;
	int calls;

	(void)state;
	assert_true(stopped_from(reads, 3, true, &calls, &sp, &pc));
	assert_int_equal(sp, 0x7ffd4b331f80ULL);
	assert_int_equal(pc, 0x7f1ac028ba1aULL);
	assert_int_equal(calls, 3);
}

/* A call no longer waiting (a signal took the thread out of it, or it was
 * killed) runs on: not read again. */
static void running_call_gone_not_read_again(void **state)
{
	const char *reads[] = {"running\n", stopped};
	uint64_t sp = 0, pc = 0;
	int calls;

	(void)state;
	assert_false(stopped_from(reads, 2, false, &calls, &sp, &pc));
	assert_int_equal(calls, 1);
}

/* Never asleep, still waiting (should not be): read again for a bounded
 * time only (0.2 ms; the script reads in no time), then no frames. */
static void running_for_ever_bounded(void **state)
{
	const char *reads[] = {"running\n"};
	uint64_t sp = 0, pc = 0;
	int calls;

	(void)state;
	assert_false(stopped_from(reads, 1, true, &calls, &sp, &pc));
	assert_true(calls > 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_sp_and_pc),
		cmocka_unit_test(parses_without_newline),
		cmocka_unit_test(not_known_when_unreadable_or_garbled),
		cmocka_unit_test(regress_supervise_backtrace_running),
		cmocka_unit_test(running_call_gone_not_read_again),
		cmocka_unit_test(running_for_ever_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
