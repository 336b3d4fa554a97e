/* Per-call scope of the shim's own work (see call.h). */
#define _GNU_SOURCE
#include "call.h"

#include <pthread.h>

#include "backtrace.h"
#include "config.h"
#include "sockshim.h"
#include "sys.h"

#define TLS __attribute__((tls_model("initial-exec")))

static __thread struct call *volatile top TLS;
static __thread volatile int depth TLS;
static __thread void *frames[CALL_LEVELS][BT_MAX] TLS;
static __thread void *scratch[CALL_LEVELS][CALL_SCRATCH] TLS;
static __thread char records[CALL_LEVELS][SHIM_RECORD_MAX] TLS;
static __thread const struct call_trap_regs *trap_regs TLS;

/* This thread's alternate signal stack: asked of the kernel once, then
 * kept current by the sigaltstack wrapper. */
enum { ALT_UNKNOWN, ALT_NONE, ALT_KNOWN };
static __thread int alt_state TLS;
static __thread uintptr_t alt_lo TLS, alt_hi TLS;

void call_note_altstack(const stack_t *ss)
{
	if (!ss || (ss->ss_flags & SS_DISABLE) || !ss->ss_sp) {
		alt_state = ALT_NONE;
		return;
	}
	alt_lo = (uintptr_t)ss->ss_sp;
	alt_hi = alt_lo + ss->ss_size;
	alt_state = ALT_KNOWN;
}

static bool stack_is_tight(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

	if (alt_state == ALT_UNKNOWN) {
		stack_t ss;
		int saved = errno;

		if (sys_sigaltstack(NULL, &ss) == 0)
			call_note_altstack(&ss);
		else
			alt_state = ALT_NONE;
		errno = saved;
	}
	return alt_state == ALT_KNOWN && sp > alt_lo && sp <= alt_hi &&
	       sp - alt_lo < CALL_TIGHT_ROOM;
}

void call_enter(struct call *c)
{
	c->outer = top;
	c->level = depth++;
	c->tight_known = false;
	c->bt_taken = false;
	c->bt_n = 0;
	c->bt = c->level < CALL_LEVELS ? frames[c->level] : NULL;
	c->scratch = c->level < CALL_LEVELS ? scratch[c->level] : NULL;
	c->rec = c->level < CALL_LEVELS ? records[c->level] : NULL;
	/* published last: a handler that interrupts before sees the outer call */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	top = c;
}

void call_leave(struct call *c)
{
	top = c->outer;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	depth--;
}

void call_pause(struct call *c)
{
	top = c->outer;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

void call_resume(struct call *c)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	top = c;
}

struct call *call_current(void)
{
	return top;
}

void call_set_trap_regs(const struct call_trap_regs *regs)
{
	trap_regs = regs;
}

bool call_in_trap(void)
{
	return trap_regs != NULL;
}

/* libunwind reads its memory-checking pipe with read(2), a cancellation
 * point: the one place where the shim's own work could be cancelled (its
 * own system calls are raw ones, which never are). */
static int capture_uncancellable(void **ips, int max)
{
	int old, n;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	n = backtrace_capture(ips, max);
	pthread_setcancelstate(old, &old);
	return n;
}

bool call_tight(struct call *c)
{
	if (!c->tight_known) {
		c->tight = stack_is_tight();
		c->tight_known = true;
	}
	return c->tight;
}

int call_backtrace(struct call *c, void *const **ips)
{
	if (!c->bt_taken) {
		c->bt_taken = true;
		c->bt_n = 0;
		if (c->bt && shim_cfg.backtrace) {
			if (trap_regs)
				c->bt_n = backtrace_from_frame_pointers(trap_regs->ip, trap_regs->sp,
									trap_regs->bp, c->bt,
									shim_cfg.backtrace_depth);
			else if (!call_tight(c))
				c->bt_n = capture_uncancellable(c->bt, shim_cfg.backtrace_depth);
		}
	}
	*ips = c->bt;
	return c->bt_n;
}
