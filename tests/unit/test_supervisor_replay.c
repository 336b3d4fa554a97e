/* Unit tests of the supervisor's replayed unwinds (supervisor/replay.c): a
 * kept unwind is given again only from the same (sp, pc, depth) where every
 * word it read is the same, and a word it only needed to be no code address
 * (a frame's locals that the frame pointer's guess scanned past) may change
 * but not into one; an unwind that read memory beyond the copy, or more
 * words than an entry holds, is not kept; call sites that trap at the same
 * (sp, pc) are kept side by side. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor.h"

#define SP 0x7ffd0000ull
#define PC 0x401000ull
#define CODE_LO 0x400000ull
#define CODE_HI 0x500000ull
/* a second module far above (the vDSO): the modules' span holds a Go
 * program's heap, 0xc000000000, which is no code */
#define VDSO_LO 0x7fff00000000ull
#define VDSO_HI 0x7fff00002000ull

static bool in_code(void *arg, uint64_t w)
{
	(void)arg;
	return (w >= CODE_LO && w < CODE_HI) || (w >= VDSO_LO && w < VDSO_HI);
}

static uint64_t stack[64];
static const uint64_t frames[3] = {0x401234, 0x402345, 0x403456};

static void put(size_t off, uint64_t w)
{
	memcpy((char *)stack + off, &w, 8);
}

/* An unwind that read the return address at 0, scanned words 8..56 (no
 * code) and read the words at 64 and 72. */
static struct sv_replay *kept(void)
{
	struct sv_replay *r = sv_replay_new();

	assert_non_null(r);
	memset(stack, 0, sizeof stack);
	put(0, frames[0]);
	for (size_t off = 8; off < 64; off += 8)
		put(off, 1000 + off);
	put(64, frames[1]);
	put(72, SP + 200);
	sv_replay_begin(r, SP, PC, 16);
	sv_replay_read(r, 0, frames[0], false);
	for (size_t off = 8; off < 64; off += 8)
		sv_replay_read(r, off, 1000 + off, true);
	sv_replay_read(r, 64, frames[1], false);
	sv_replay_read(r, 72, SP + 200, false);
	sv_replay_read(r, 64, frames[1], false); /* again: nothing more */
	sv_replay_keep(r, frames, 3);
	return r;
}

static int find(const struct sv_replay *r, uint64_t sp, uint64_t pc, int max, uint64_t *ips)
{
	return sv_replay_find(r, sp, pc, max, (const unsigned char *)stack, sizeof stack, in_code,
			      NULL, ips);
}

static void test_same_stack_replays(void **state)
{
	struct sv_replay *r = kept();
	uint64_t ips[16];

	(void)state;
	assert_int_equal(sv_replay_span(r, SP, PC, 16), 80);
	assert_int_equal(find(r, SP, PC, 16, ips), 3);
	assert_memory_equal(ips, frames, sizeof frames);
	/* other locals, still no code: the same frames */
	put(16, 77);
	put(40, 0xdeadbeef00);
	assert_int_equal(find(r, SP, PC, 16, ips), 3);
	/* a heap pointer between two modules: no code either (the span's
	 * test missed every replay of a Go server's close) */
	put(32, 0xc000094180);
	assert_int_equal(find(r, SP, PC, 16, ips), 3);
	put(32, 0xc0000ac280);
	assert_int_equal(find(r, SP, PC, 16, ips), 3);
	/* a word after what it read: nothing to it */
	put(80, 0x401111);
	assert_int_equal(find(r, SP, PC, 16, ips), 3);
	free(r);
}

static void test_changed_words_miss(void **state)
{
	struct sv_replay *r = kept();
	uint64_t ips[16];

	(void)state;
	put(64, 0x402399); /* another return address */
	assert_int_equal(find(r, SP, PC, 16, ips), -1);
	put(64, frames[1]);
	put(72, SP + 208); /* another saved frame pointer */
	assert_int_equal(find(r, SP, PC, 16, ips), -1);
	put(72, SP + 200);
	put(24, 0x401777); /* a scanned word now a code address */
	assert_int_equal(find(r, SP, PC, 16, ips), -1);
	put(24, VDSO_LO + 0x100); /* or one of the other module's */
	assert_int_equal(find(r, SP, PC, 16, ips), -1);
	put(24, 5);
	assert_int_equal(find(r, SP, PC, 16, ips), 3);
	/* a copy too short for what it read */
	assert_int_equal(sv_replay_find(r, SP, PC, 16, (const unsigned char *)stack, 72, in_code,
					 NULL, ips),
			 -1);
	free(r);
}

static void test_other_start_misses(void **state)
{
	struct sv_replay *r = kept();
	uint64_t ips[16];

	(void)state;
	assert_int_equal(find(r, SP + 16, PC, 16, ips), -1);
	assert_int_equal(find(r, SP, PC + 1, 16, ips), -1);
	assert_int_equal(find(r, SP, PC, 8, ips), -1);
	assert_int_equal(sv_replay_span(r, SP + 16, PC, 16), 0);
	sv_replay_forget(r);
	assert_int_equal(find(r, SP, PC, 16, ips), -1);
	free(r);
}

/* Two call sites that trap at the same (sp, pc), told apart by a word
 * (the return address into each): both kept, each replayed for its own. */
static void test_two_sites_one_start(void **state)
{
	struct sv_replay *r = sv_replay_new();
	const uint64_t other[2] = {0x401999, 0x402345};
	uint64_t ips[16];

	(void)state;
	memset(stack, 0, sizeof stack);
	for (int site = 0; site < 2; site++) {
		put(0, site ? other[0] : frames[0]);
		sv_replay_begin(r, SP, PC, 16);
		sv_replay_read(r, 0, site ? other[0] : frames[0], false);
		sv_replay_keep(r, site ? other : frames, site ? 2 : 3);
	}
	for (int round = 0; round < 3; round++) {
		put(0, frames[0]);
		assert_int_equal(find(r, SP, PC, 16, ips), 3);
		assert_memory_equal(ips, frames, sizeof frames);
		put(0, other[0]);
		assert_int_equal(find(r, SP, PC, 16, ips), 2);
		assert_memory_equal(ips, other, sizeof other);
	}
	put(0, 0x401555); /* a third site: not kept */
	assert_int_equal(find(r, SP, PC, 16, ips), -1);
	free(r);
}

static void test_not_kept(void **state)
{
	struct sv_replay *r = sv_replay_new();
	uint64_t ips[16];

	(void)state;
	memset(stack, 0, sizeof stack);
	/* read beyond the copy */
	sv_replay_begin(r, SP, PC, 16);
	sv_replay_read(r, 0, 0, false);
	sv_replay_unknowable(r);
	sv_replay_keep(r, frames, 3);
	assert_int_equal(find(r, SP, PC, 16, ips), -1);
	/* more words than an entry holds */
	sv_replay_begin(r, SP, PC, 16);
	for (int i = 0; i <= SV_REPLAY_READS; i++)
		sv_replay_read(r, (size_t)i * 16 % 512, (uint64_t)i, false);
	sv_replay_keep(r, frames, 3);
	assert_int_equal(find(r, SP, PC, 16, ips), -1);
	/* more frames than asked for, or none */
	sv_replay_begin(r, SP, PC, 2);
	sv_replay_keep(r, frames, 3);
	assert_int_equal(find(r, SP, PC, 2, ips), -1);
	sv_replay_begin(r, SP, PC, 16);
	sv_replay_keep(r, frames, 0);
	assert_int_equal(find(r, SP, PC, 16, ips), -1);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_stack_replays),
		cmocka_unit_test(test_changed_words_miss),
		cmocka_unit_test(test_other_start_misses),
		cmocka_unit_test(test_two_sites_one_start),
		cmocka_unit_test(test_not_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
