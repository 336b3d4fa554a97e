/* Backtraces from outside, replayed (see supervisor.h).
 *
 * An unwind from (sp, pc) is a pure function of the program's code and
 * unwind information (the same until a module is loaded: then
 * sv_replay_forget) and of the stack words it reads.  A server traps the
 * same close from the same place at the same depth over and over: each
 * unwind is kept with every word it read (its offset from sp and value),
 * and an unwind that starts at the same (sp, pc) and finds those words in
 * the new copy of the stack has the same frames, without libdw's walk or
 * the frame pointer's guess (symbol look-ups), which cost most of a trapped
 * call's backtrace.  An unwind that read memory outside the copy (which
 * may have changed unseen) or more words than an entry holds is not kept. */
#include "supervisor.h"

#include <stdlib.h>
#include <string.h>

static unsigned slot_of(uint64_t pc, uint64_t sp)
{
	return (unsigned)(((pc ^ (sp * 31)) * 0x9e3779b97f4a7c15ULL) >> 40) % SV_REPLAY_SLOTS;
}

struct sv_replay *sv_replay_new(void)
{
	return calloc(1, sizeof(struct sv_replay));
}

int sv_replay_find(const struct sv_replay *r, uint64_t sp, uint64_t pc, int max,
		   const unsigned char *stack, size_t len, uint64_t code_lo, uint64_t code_hi,
		   uint64_t *ips)
{
	const struct sv_replay_entry *e = &r->slots[slot_of(pc, sp)];

	if (!e->kept || e->pc != pc || e->sp != sp || e->max != max)
		return -1;
	for (int i = 0; i < e->nreads; i++) {
		uint32_t off = e->off[i] & ~SV_REPLAY_NOT_CODE;
		uint64_t w;

		if ((size_t)off + 8 > len)
			return -1;
		if (e->off[i] & SV_REPLAY_NOT_CODE) {
			/* a run of words up to val (an offset) */
			if (e->val[i] > len)
				return -1;
			for (; off < e->val[i]; off += 8) {
				memcpy(&w, stack + off, 8);
				if (w >= code_lo && w < code_hi)
					return -1;
			}
			continue;
		}
		memcpy(&w, stack + off, 8);
		if (w != e->val[i])
			return -1;
	}
	memcpy(ips, e->ips, (size_t)e->n * sizeof *ips);
	return e->n;
}

size_t sv_replay_span(const struct sv_replay *r, uint64_t sp, uint64_t pc, int max)
{
	const struct sv_replay_entry *e = &r->slots[slot_of(pc, sp)];
	size_t span = 0;

	if (!e->kept || e->pc != pc || e->sp != sp || e->max != max)
		return 0;
	for (int i = 0; i < e->nreads; i++) {
		size_t end = (e->off[i] & SV_REPLAY_NOT_CODE) ? (size_t)e->val[i]
							      : (size_t)e->off[i] + 8;

		if (end > span)
			span = end;
	}
	return span;
}

void sv_replay_begin(struct sv_replay *r, uint64_t sp, uint64_t pc, int max)
{
	r->rec.kept = false;
	r->rec.pc = pc;
	r->rec.sp = sp;
	r->rec.max = max;
	r->rec.nreads = 0;
	r->rec.n = 0;
	r->recording = max > 0 && max <= SV_REPLAY_IPS;
}

void sv_replay_read(struct sv_replay *r, size_t off, uint64_t val, bool only_not_code)
{
	struct sv_replay_entry *e = &r->rec;
	uint32_t key = (uint32_t)off | (only_not_code ? SV_REPLAY_NOT_CODE : 0);

	if (!r->recording)
		return;
	if (off >= SV_REPLAY_NOT_CODE) {
		r->recording = false;
		return;
	}
	if (only_not_code) {
		/* words scanned in a row: one run, [off, val) */
		if (e->nreads > 0 && (e->off[e->nreads - 1] & SV_REPLAY_NOT_CODE) &&
		    e->val[e->nreads - 1] == off) {
			e->val[e->nreads - 1] = off + 8;
			return;
		}
		val = off + 8;
	} else {
		/* the same word read again adds nothing to check */
		for (int i = e->nreads - 1; i >= 0 && i >= e->nreads - 4; i--)
			if (e->off[i] == key)
				return;
	}
	if (e->nreads == SV_REPLAY_READS) {
		r->recording = false;
		return;
	}
	e->off[e->nreads] = key;
	e->val[e->nreads] = val;
	e->nreads++;
}

void sv_replay_unknowable(struct sv_replay *r)
{
	r->recording = false;
}

void sv_replay_keep(struct sv_replay *r, const uint64_t *ips, int n)
{
	struct sv_replay_entry *e;

	if (!r->recording || n <= 0 || n > r->rec.max)
		return;
	r->recording = false;
	memcpy(r->rec.ips, ips, (size_t)n * sizeof *ips);
	r->rec.n = n;
	r->rec.kept = true;
	e = &r->slots[slot_of(r->rec.pc, r->rec.sp)];
	*e = r->rec;
}

void sv_replay_forget(struct sv_replay *r)
{
	for (int i = 0; i < SV_REPLAY_SLOTS; i++)
		r->slots[i].kept = false;
	r->recording = false;
}
