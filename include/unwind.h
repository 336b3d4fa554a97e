/* The shim's own unwinder for the common case (x86_64): call frame
 * information from each module's .eh_frame, reduced per return address to
 * one rule (where the caller's stack pointer, return address and frame
 * pointer are) and kept in a bounded lock-free cache.
 *
 * Why not libunwind alone: every close() keeps the backtrace of where it
 * happened (for a later double_close), so a capture must cost next to
 * nothing.  libunwind's fast path is ~1000 instructions for a short stack,
 * and each of its misses (a call site not seen before, which is every call
 * site in a freshly forked child of a forking server) parses unwind
 * information with signals blocked and locks taken: dozens of
 * rt_sigprocmask calls per connection.  Here a hit is a few instructions
 * per frame and a miss is a binary search of .eh_frame_hdr and one run of
 * the frame's CFA program, with no lock but dl_iterate_phdr's (never held
 * by the loader around foreign code) and no system call.
 *
 * libunwind is not loaded at all on x86_64.  This follows a signal
 * handler's frame by the context the kernel saved (a sigreturn trampoline
 * with an 'S' CIE, as glibc's), binutils' .plt and GCC's DRAP frames by
 * their CFA expressions, and a frame with no rule here (code without
 * unwind information, any other expression) by the frame pointer chain,
 * where libunwind would first evaluate the expression or match a
 * trampoline without CFI by its bytes: past such a frame the frames may
 * be wrong.  Where no way goes on, the backtrace ends there.  Loaded,
 * libunwind and the liblzma it needs made every fork and exit of the
 * program cost ~57 us more (ten mappings copied and torn down, liblzma's
 * destructors run in each child).  Other
 * architectures: libunwind does it all (unwind_capture returns -1). */
#ifndef SHIM_UNWIND_H
#define SHIM_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether unwind_capture is the shim's own (else it is -1 and libunwind
 * does it all, backtrace.h). */
#if defined(__x86_64__)
#define SHIM_OWN_UNWINDER 1
#else
#define SHIM_OWN_UNWINDER 0
#endif

/* How to find the caller's registers from a frame's, at one address. */
enum unwind_kind {
	UNWIND_FAIL = 0,  /* not followed here: the caller falls back */
	UNWIND_STEP,	  /* a normal frame */
	UNWIND_END,	  /* the outermost frame (return address undefined) */
	UNWIND_SIGNAL,	  /* a signal's return (a CIE with 'S'): the caller's
			     registers are in the context the kernel saved */
};

enum unwind_base {
	UNWIND_CFA_SP = 7, UNWIND_CFA_BP = 6, /* DWARF numbers: cfa = reg + cfa_off */
	UNWIND_CFA_BP_DEREF = 0x86,	      /* cfa = the word at bp + cfa_off (a
						 DRAP frame: GCC's realigned stack) */
};

struct unwind_rule {
	uint8_t kind;	  /* enum unwind_kind */
	uint8_t cfa_base; /* enum unwind_base */
	bool bp_saved;	  /* the caller's frame pointer is at cfa + bp_off
			     (else this frame left it as it was) */
	bool bp_at_bp;	  /* ... at this frame's bp + bp_off instead (DRAP) */
	int32_t cfa_off;  /* cfa = base register + cfa_off */
	int32_t ra_off;	  /* the return address is at cfa + ra_off */
	int32_t bp_off;
};

/* The rule at pc from one FDE and its CIE, as they lie in memory
 * (fde..end: the FDE's bytes; its CIE pointer is followed within
 * [lo, hi), the bounds of the section).  pc must lie in the FDE's range.
 * Returns the rule; kind UNWIND_FAIL for anything not followed here or
 * malformed.  A pure function of the bytes: what the fuzzer drives. */
struct unwind_rule unwind_rule_from_fde(const uint8_t *fde, const uint8_t *lo,
					const uint8_t *hi, uintptr_t pc);

/* Where an unwind stopped at its maximum, to go on deeper later (while the
 * frames are still there: within the same call).  pc 0: nothing more. */
struct unwind_cursor {
	uintptr_t pc, sp, bp;
	bool exact; /* pc is where the frame was interrupted by a signal, not
		       a return address */
};

/* The return addresses of the calling code, innermost first, starting in
 * the caller of unwind_capture itself, leaving out those at the top of the
 * stack that lie in [skip_lo, skip_hi) (the shim's own frames); at most
 * max.  Returns how many (the frames up to one that could not be
 * followed, if any), -1 where there is no unwinder of the shim's own (the
 * caller then asks libunwind).  No allocation, no system call, no lock on
 * a cache hit; errno as it was.  *cur: where to go on.  site: the
 * program's call site, the first return address out of [skip_lo,
 * skip_hi), where the caller knows it (the exported function's own return
 * address); 0: it is read along the shim's frame pointers.  It chooses
 * where the capture is kept for replay (a wrong one costs a walk, never a
 * wrong frame). */
int unwind_capture(void **ips, int max, uintptr_t skip_lo, uintptr_t skip_hi,
		   struct unwind_cursor *cur, uintptr_t site);

/* The next frames from *cur (at most max), as unwind_capture. */
int unwind_resume(struct unwind_cursor *cur, void **ips, int max);

/* Forgets every cached rule (a module was unloaded). */
void unwind_invalidate(void);

/* Keeps the captures whose frames all lie in modules permanent() says are
 * never unloaded in memory shared with the processes this one forks from
 * now on, and replays theirs: a forking server's children then find their
 * call sites' captures made by the children before them.  Before a fork
 * (the first call makes the memory; the rest return at once); without it
 * (or where the memory cannot be had) each process keeps its own. */
void unwind_share_across_fork(bool (*permanent)(void *const *ips, int n));

#endif
