/* The shim's own work inside one interposed call.
 *
 * Everything the shim does on its own account (unwinding, building and
 * writing a record, probing or lingering on a socket) happens between
 * call_enter and call_leave:
 * - nothing in it is a cancellation point, so that a program's
 *   pthread_cancel can never stop a thread half-way through the shim's
 *   bookkeeping: the shim's own system calls are raw ones (sys.h), and
 *   cancellation is disabled around the unwinder, which reads a pipe (the
 *   program's own real call runs outside, as a cancellation point as bare);
 * - the backtrace of the calling code is captured once, at the first need,
 *   and shared by the close history, the event and the linger record;
 * - the record buffer and the frames live in a process-wide pool of
 *   buffer sets, one claimed (lock-free) by a call at its first need and
 *   given back when it leaves; never on the stack (a handler may run on a
 *   small alternate signal stack) nor in per-thread storage (glibc carves
 *   that out of every thread's stack, small ones included).  A signal
 *   handler that interrupts the shim and calls into it again claims
 *   another set.  With none free, a record is counted as dropped.  The
 *   one exception: the few frames a close keeps in the close history,
 *   unwound into a buffer on the stack only where it has room (not
 *   tight), so that a close that makes no record claims no set
 *   (call_backtrace_to_history);
 * - a scope left by a longjmp out of a signal handler (alarm + siglongjmp
 *   around a close) is found dead by the next call_enter on that thread
 *   (its frame lies below the stack pointer) and given back;
 * - on such a stack (less than CALL_TIGHT_ROOM left) nothing is unwound
 *   with libunwind, whose cursor alone takes kilobytes: records are written
 *   without a backtrace instead. */
#ifndef SHIM_CALL_H
#define SHIM_CALL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "unwind.h"

#define CALL_POOL 256	/* buffer sets: calls of the shim's in progress at once */
#define CALL_NEST 8	/* scopes nested on one thread (signal handlers) */
#define CALL_TIGHT_ROOM (32 * 1024)
#define CALL_SCRATCH 8
#define CALL_PENDING 512 /* bytes: what a close checks after it (close_path.c) */
#define CALL_SPARE 1792 /* room for a journald datagram's fields (log.c) */

struct call {
	/* (small: a handler's small signal stack holds one per call) */
	int16_t level;	  /* 0: the outermost on this thread; -1: not entered
			     (nested too deep) */
	int16_t set;	  /* its buffer set, -1: none yet */
	bool tight;	  /* on a small alternate signal stack (call_tight) */
	bool tight_known;
	bool bt_taken;
	int bt_n;
	/* bt_taken without a set: the close history's id of the bt_n frames
	 * (call_backtrace_to_history), read back when a record wants them */
	uint32_t bt_history;
	/* where the backtrace can go on deeper (once bt_taken): here, not in
	 * the set (a close that records nothing claims none) nor in the
	 * thread's TLS (glibc carves that out of every thread's stack, a
	 * small one the program gives too: regress_thread_stack_not_taken) */
	struct unwind_cursor more;
	/* the program's call site, where the entry point passed it (0: not
	 * known): the key of the call's captures in the unwinder's cache */
	uintptr_t site;
	/* (the buffers themselves: call_bt, call_scratch, call_rec,
	 * call_spare; no pointers here, this lives on the stack of every
	 * interposed call, a signal handler's small one too) */
};
_Static_assert(CALL_POOL <= INT16_MAX && CALL_NEST <= INT16_MAX, "struct call's fields");

/* Claims c's buffer set if it has none; false if the pool is empty. */
bool call_buffers(struct call *c);

/* c's buffers (after call_buffers succeeded): BT_MAX frames; CALL_SCRATCH
 * more (a double close's earlier close); CALL_PENDING bytes, 8-aligned;
 * SHIM_RECORD_MAX bytes of record;
 * CALL_SPARE bytes, 16-aligned, for the log's own use. */
void **call_bt(const struct call *c);
void **call_scratch(const struct call *c);
void *call_pending(const struct call *c);
char *call_rec(const struct call *c);
char *call_spare(const struct call *c);

void call_enter(struct call *c);
void call_leave(struct call *c);

/* The program's call site of c (the return address of the exported
 * function), for its backtrace's capture (backtrace_capture_fast). */
static inline void call_at_site(struct call *c, const void *site)
{
	c->site = (uintptr_t)site;
}

/* Around the program's own real call made in the middle of the shim's work
 * (close): c is no longer the current call, but keeps its buffers.  If the
 * real call acts on a cancellation, the thread unwinds with nothing of the
 * shim's pointing at its dead frame (its set is then lost to the pool: a
 * cancelled thread ends). */
void call_pause(struct call *c);
void call_resume(struct call *c);

/* Whether c runs on a small alternate signal stack (asked at the first
 * need: most calls never unwind). */
bool call_tight(struct call *c);
/* call_tight, with the kernel asked again where no alternate stack is
 * known: for a path that takes much stack where the call is not tight. */
bool call_tight_recheck(struct call *c);

/* Call c closes fd (its entry claimed, the close not done yet); and
 * whether a call of this thread's, interrupted by the handler that asks
 * (an _exit() from a signal handler), is closing fd: its socket is that
 * close's to end, not the exit's. */
void call_note_closing(const struct call *c, int fd);
bool call_closing(int fd);

/* The innermost call this thread is in, or NULL. */
struct call *call_current(void);

/* The backtrace of the program's code that made call c (innermost first),
 * captured at the first request; its length.  0 frames when backtraces are
 * off, the stack is tight, or the unwinder is busy below this frame. */
int call_backtrace(struct call *c, void *const **ips);

/* The same, but at least want frames (SOCKSHIM_BACKTRACE_DEPTH at most)
 * are enough for now: the rest is unwound when asked for, going on from
 * where this stopped. */
int call_backtrace_upto(struct call *c, int want, void *const **ips);

/* The frames c's site is made of (BT_SITE_FRAMES), also when backtraces
 * are off (SOCKSHIM_BACKTRACE=0): the rate limiter keeps one limit per
 * call site all the same, and the record its site, with no frames
 * written (before, every record's site was that of no frames: one limit
 * per event, regress_sites_without_backtraces).  Only there: with
 * backtraces off, call_backtrace() gives none of them. */
int call_site_frames(struct call *c, void *const **ips);

/* The innermost CLOSE_HISTORY_DEPTH frames of c's backtrace, recorded in
 * the close history: their id there (close_history.h).  Where the stack
 * has room they are unwound into a buffer on it, and no buffer set is
 * claimed: most closes make no record, and in a forking server a set is
 * a page written (a copy-on-write fault) in the parent and in every
 * child.  A record that then wants the backtrace gets these frames back
 * from the history and the rest from where the unwinding stopped: still
 * one unwind per call. */
uint32_t call_backtrace_to_history(struct call *c);

/* Registers where a trapped call came from, for code that keeps frame
 * pointers (raw mode's SIGSYS handler, around its emulation of the call):
 * backtraces are then read from these registers.  NULL: none. */
struct call_trap_regs {
	uintptr_t ip, sp, bp;
};
void call_set_trap_regs(const struct call_trap_regs *regs);

/* True inside such a handler: nothing there may block or start a thread. */
bool call_in_trap(void);

/* Whether this thread is known to run a signal handler: on its alternate
 * signal stack, or in raw mode's trap handler.  (A handler on the normal
 * stack cannot be told: even one that interrupted another call of the
 * shim's looks like a call made after a siglongjmp out of that one.) */
bool call_in_handler(void);

/* After the program's successful sigaltstack(): this thread's alternate
 * stack, for the tight-stack test. */
void call_note_altstack(const stack_t *ss);

#endif
