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
 * may have changed unseen) or more words than an entry holds is not kept.
 * Several call sites may trap at the same (sp, pc) (two functions that
 * each close, called from the same place: libc's close is where the
 * thread stops for all of them), so a set holds a few unwinds of a start,
 * told apart by their words. */
#include "supervisor.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"

#define SETS 64
#define WAYS 4
#define IPS CONFIG_DEPTH_MAX
#define NOT_CODE (1u << 31) /* off: a run of words that had to be no code */

struct entry {
	bool kept;
	int max, nreads, n;
	uint64_t sp, pc;
	uint32_t off[SV_REPLAY_READS]; /* from sp; NOT_CODE: a run */
	uint64_t val[SV_REPLAY_READS]; /* the word; a run's end (an offset) */
	uint64_t ips[IPS];
};

struct sv_replay {
	struct entry sets[SETS][WAYS];
	unsigned turn[SETS];  /* the way the next unwind kept replaces */
	struct entry rec;     /* the unwind being recorded */
	bool recording;
};

static struct entry *set_of(const struct sv_replay *r, uint64_t pc, uint64_t sp)
{
	unsigned s = (unsigned)(((pc ^ (sp * 31)) * 0x9e3779b97f4a7c15ULL) >> 40) % SETS;

	return (struct entry *)r->sets[s];
}

static bool starts_at(const struct entry *e, uint64_t sp, uint64_t pc, int max)
{
	return e->kept && e->pc == pc && e->sp == sp && e->max == max;
}

struct sv_replay *sv_replay_new(void)
{
	return calloc(1, sizeof(struct sv_replay));
}

/* Whether every word e read is in stack[len] as it was. */
static bool holds(const struct entry *e, const unsigned char *stack, size_t len,
		  bool (*in_code)(void *arg, uint64_t w), void *arg)
{
	for (int i = 0; i < e->nreads; i++) {
		uint32_t off = e->off[i] & ~NOT_CODE;
		uint64_t w;

		if ((size_t)off + 8 > len)
			return false;
		if (e->off[i] & NOT_CODE) {
			/* a run of words up to val (an offset) */
			if (e->val[i] > len)
				return false;
			for (; off < e->val[i]; off += 8) {
				memcpy(&w, stack + off, 8);
				if (in_code(arg, w))
					return false;
			}
			continue;
		}
		memcpy(&w, stack + off, 8);
		if (w != e->val[i])
			return false;
	}
	return true;
}

int sv_replay_find(const struct sv_replay *r, uint64_t sp, uint64_t pc, int max,
		   const unsigned char *stack, size_t len, bool (*in_code)(void *arg, uint64_t w),
		   void *arg, uint64_t *ips)
{
	const struct entry *set = set_of(r, pc, sp);

	for (int w = 0; w < WAYS; w++) {
		const struct entry *e = &set[w];

		if (starts_at(e, sp, pc, max) && holds(e, stack, len, in_code, arg)) {
			memcpy(ips, e->ips, (size_t)e->n * sizeof *ips);
			return e->n;
		}
	}
	return -1;
}

size_t sv_replay_span(const struct sv_replay *r, uint64_t sp, uint64_t pc, int max)
{
	const struct entry *set = set_of(r, pc, sp);
	size_t span = 0;

	for (int w = 0; w < WAYS; w++) {
		const struct entry *e = &set[w];

		if (!starts_at(e, sp, pc, max))
			continue;
		for (int i = 0; i < e->nreads; i++) {
			size_t end = (e->off[i] & NOT_CODE) ? (size_t)e->val[i] : (size_t)e->off[i] + 8;

			if (end > span)
				span = end;
		}
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
	r->recording = max > 0 && max <= IPS;
}

void sv_replay_read(struct sv_replay *r, size_t off, uint64_t val, bool only_not_code)
{
	struct entry *e = &r->rec;
	uint32_t key = (uint32_t)off | (only_not_code ? NOT_CODE : 0);

	if (!r->recording)
		return;
	if (off >= NOT_CODE) {
		r->recording = false;
		return;
	}
	if (only_not_code) {
		/* words scanned in a row: one run, [off, val) */
		if (e->nreads > 0 && (e->off[e->nreads - 1] & NOT_CODE) &&
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
	struct entry *set, *e = NULL;

	if (!r->recording || n <= 0 || n > r->rec.max)
		return;
	r->recording = false;
	memcpy(r->rec.ips, ips, (size_t)n * sizeof *ips);
	r->rec.n = n;
	r->rec.kept = true;
	set = set_of(r, r->rec.pc, r->rec.sp);
	/* an empty way, else each in turn */
	for (int w = 0; w < WAYS && !e; w++)
		if (!set[w].kept)
			e = &set[w];
	if (!e) {
		unsigned s = (unsigned)(set - (struct entry *)r->sets) / WAYS;

		e = &set[r->turn[s]++ % WAYS];
	}
	*e = r->rec;
}

void sv_replay_forget(struct sv_replay *r)
{
	for (int s = 0; s < SETS; s++)
		for (int w = 0; w < WAYS; w++)
			r->sets[s][w].kept = false;
	r->recording = false;
}
