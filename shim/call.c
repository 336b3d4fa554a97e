/* Per-call scope of the shim's own work (see call.h). */
#define _GNU_SOURCE
#include "call.h"

#include <pthread.h>

#include "backtrace.h"
#include "close_history.h"
#include "coldmem.h"
#include "config.h"
#include "sockshim.h"
#include "sys.h"

#define TLS __attribute__((tls_model("initial-exec")))

/* The buffer sets, claimed by a compare-and-swap on their flag. */
static struct call_set {
	void *bt[BT_MAX];
	void *scratch[CALL_SCRATCH];
	_Alignas(8) char pending[CALL_PENDING];
	char rec[SHIM_RECORD_MAX];
	_Alignas(16) char spare[CALL_SPARE];
} pool[CALL_POOL] COLD_CALL;
/* (FORK_HOT: a forked child's first call takes a set, and so does its
 * parent's next; on their own lines: every call writes them) */
static _Alignas(64) int pool_taken[CALL_POOL] FORK_HOT;
/* the page of the TLS of the first thread that took a set (FORK_HOT: a
 * forked child whose parent never took one sets it at its exit's claim) */
static uintptr_t first_page FORK_HOT;

/* This thread's scopes, innermost last: the call, its frame address and
 * whether it ran on the alternate stack (to tell dead scopes).  Only the
 * thread itself and its signal handlers touch them: volatile keeps the
 * compiler from moving the accesses across what a handler may see. */
static __thread volatile int depth TLS;
static __thread struct call *volatile scope_call[CALL_NEST] TLS;
static __thread volatile uintptr_t scope_frame[CALL_NEST] TLS;
static __thread volatile bool scope_alt[CALL_NEST] TLS;
static __thread volatile int scope_set[CALL_NEST] TLS;
/* the number each scope is closing, -1: none (call_note_closing) */
static __thread volatile int scope_closing[CALL_NEST] TLS;
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

SHIM_FORK_TEXT static bool stack_is_tight(void)
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

static bool on_alt_stack(uintptr_t sp)
{
	return alt_state == ALT_KNOWN && sp > alt_lo && sp <= alt_hi;
}

static void give_back(int set)
{
	if (set >= 0)
		__atomic_store_n(&pool_taken[set], 0, __ATOMIC_RELEASE);
}

SHIM_FORK_TEXT bool call_buffers(struct call *c)
{
	if (c->set < 0 && c->level >= 0) {
		/* Start where this thread's scopes are unlikely to collide, the
		 * first thread (a forking server's only one) at the top set and
		 * on downwards: the sets written stay at the pool's end, next
		 * to the fdtab's written start (coldmem.h). */
		uintptr_t page = (uintptr_t)&depth >> 12;
		uintptr_t first = __atomic_load_n(&first_page, __ATOMIC_RELAXED);
		unsigned start;

		if (!first && __atomic_compare_exchange_n(&first_page, &first, page, false,
							  __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			first = page;
		start = (unsigned)((page - first) * 31 + (unsigned)c->level);
		for (unsigned k = 0; k < CALL_POOL; k++) {
			unsigned i = CALL_POOL - 1 - (start + k) % CALL_POOL;
			int free_ = 0;

			if (__atomic_load_n(&pool_taken[i], __ATOMIC_RELAXED) == 0 &&
			    __atomic_compare_exchange_n(&pool_taken[i], &free_, 1, false,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
				c->set = (int16_t)i;
				/* noted for a longjmp that would leave the scope */
				scope_set[c->level] = c->set;
				break;
			}
		}
	}
	return c->set >= 0;
}

void **call_bt(const struct call *c)
{
	return pool[c->set].bt;
}

void **call_scratch(const struct call *c)
{
	return pool[c->set].scratch;
}

void *call_pending(const struct call *c)
{
	return pool[c->set].pending;
}

char *call_rec(const struct call *c)
{
	return pool[c->set].rec;
}

char *call_spare(const struct call *c)
{
	return pool[c->set].spare;
}

SHIM_FORK_TEXT void call_enter(struct call *c)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	bool alt;
	int d;

	c->set = -1;
	c->site = 0;
	c->tight_known = false;
	c->bt_taken = false;
	c->bt_n = 0;
	c->bt_history = 0;
	if (alt_state == ALT_UNKNOWN)
		stack_is_tight(); /* asks the kernel once per thread */
	alt = on_alt_stack(sp);
	/* Scopes a longjmp left behind: on this same stack, below this frame.
	 * (A scope of an interrupted call on the other stack is alive.) */
	while ((d = depth) > 0 && scope_alt[d - 1] == alt && scope_frame[d - 1] < sp) {
		/* its memory is gone: only the shadow is read */
		give_back(scope_set[d - 1]);
		scope_set[d - 1] = -1;
		depth = d - 1;
	}
	d = depth;
	if (d >= CALL_NEST) {
		c->level = -1; /* nested too deep: no buffers, records dropped */
		return;
	}
	c->level = (int16_t)d;
	scope_set[d] = -1;
	scope_closing[d] = -1;
	scope_frame[d] = sp;
	scope_alt[d] = alt;
	scope_call[d] = c;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	depth = d + 1; /* published last: a handler before this sees the outer */
}

SHIM_FORK_TEXT void call_leave(struct call *c)
{
	if (c->level >= 0 && depth > c->level) {
		scope_set[c->level] = -1;
		depth = c->level;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	}
	give_back(c->set);
	c->set = -1;
}

SHIM_FORK_TEXT void call_pause(struct call *c)
{
	if (c->level >= 0 && depth == c->level + 1)
		scope_call[c->level] = NULL; /* not current, still reserved */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

SHIM_FORK_TEXT void call_resume(struct call *c)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (c->level >= 0 && depth == c->level + 1)
		scope_call[c->level] = c;
}

SHIM_FORK_TEXT void call_note_closing(const struct call *c, int fd)
{
	if (c->level >= 0)
		scope_closing[c->level] = fd;
}

bool call_closing(int fd)
{
	int d = depth;

	for (int i = 0; i < d; i++)
		if (scope_closing[i] == fd)
			return true;
	return false;
}

struct call *call_current(void)
{
	int d = depth;

	return d > 0 ? scope_call[d - 1] : NULL;
}

void call_set_trap_regs(const struct call_trap_regs *regs)
{
	trap_regs = regs;
}

bool call_in_trap(void)
{
	return trap_regs != NULL;
}

bool call_in_handler(void)
{
	return trap_regs != NULL || on_alt_stack((uintptr_t)__builtin_frame_address(0));
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

bool call_tight_recheck(struct call *c)
{
	if (alt_state != ALT_KNOWN) {
		/* (one set by a raw sigaltstack system call, which the
		 * wrapper never saw, after the kernel was asked) */
		alt_state = ALT_UNKNOWN;
		c->tight_known = false;
	}
	return call_tight(c);
}

SHIM_FORK_TEXT bool call_tight(struct call *c)
{
	if (!c->tight_known) {
		c->tight = stack_is_tight();
		c->tight_known = true;
	}
	return c->tight;
}

/* The frames call_backtrace_to_history captured (bt_taken, no set yet),
 * copied into c's set from the history; false if they cannot be (no set
 * free, or the history slot was written over by thousands of closes
 * since): then they are captured again. */
static bool frames_from_history(struct call *c)
{
	return call_buffers(c) &&
	       close_history_get(c->bt_history, pool[c->set].bt) == c->bt_n;
}

/* call_backtrace_upto's capture, whether backtraces are on or not (the
 * caller says). */
static int capture_upto(struct call *c, int want, void *const **ips)
{
	int most = shim_cfg.backtrace_depth;

	if (want > most)
		want = most;
	if (c->bt_taken && c->bt_history != 0) {
		if (!frames_from_history(c))
			c->bt_taken = false;
		c->bt_history = 0;
	}
	if (!c->bt_taken) {
		struct unwind_cursor *more = &c->more;

		c->bt_taken = true;
		c->bt_n = 0;
		/* (none to go on from, also when no set is had now: a record
		 * that gets one later in this call must not resume from a
		 * capture whose frames it does not have) */
		more->pc = 0;
		if (call_buffers(c)) {
			if (trap_regs)
				c->bt_n = backtrace_from_frame_pointers(trap_regs->ip, trap_regs->sp,
									trap_regs->bp, pool[c->set].bt, most);
			else if (!call_tight(c) &&
				 (c->bt_n = backtrace_capture_fast(pool[c->set].bt, want, more, c->site)) < 0)
				c->bt_n = capture_uncancellable(pool[c->set].bt, most);
		}
	} else if (c->bt_n < want && c->set >= 0 && c->more.pc) {
		/* deeper, from where the first capture stopped: the frames are
		 * the same ones, this call has not returned */
		int n = backtrace_resume_fast(&c->more, pool[c->set].bt + c->bt_n, want - c->bt_n);

		if (n >= 0)
			c->bt_n += n;
		else
			c->bt_n = capture_uncancellable(pool[c->set].bt, most);
	}
	*ips = c->set >= 0 ? pool[c->set].bt : NULL; /* (no frames without buffers) */
	return c->bt_n;
}

int call_backtrace_upto(struct call *c, int want, void *const **ips)
{
	if (!shim_cfg.backtrace) {
		*ips = NULL;
		return 0;
	}
	return capture_upto(c, want, ips);
}

int call_site_frames(struct call *c, void *const **ips)
{
	return capture_upto(c, BT_SITE_FRAMES, ips);
}

/* The frames for the history unwound into a buffer on this stack, which
 * has room (not tight); -1 where the shim's own unwinder cannot (then
 * the usual way, with a set).  A frame of its own, entered only then. */
SHIM_FORK_TEXT
__attribute__((noinline)) static int history_frames_on_stack(struct call *c, uint32_t *id)
{
	void *ips[CLOSE_HISTORY_DEPTH];
	int want = shim_cfg.backtrace_depth < CLOSE_HISTORY_DEPTH ? shim_cfg.backtrace_depth
								     : CLOSE_HISTORY_DEPTH;
	int n;

	c->more.pc = 0;
	n = backtrace_capture_fast(ips, want, &c->more, c->site);
	if (n < 0)
		return -1;
	*id = close_history_record(ips, n);
	c->bt_taken = true;
	c->bt_n = n;
	c->bt_history = *id;
	return n;
}

SHIM_FORK_TEXT uint32_t call_backtrace_to_history(struct call *c)
{
	void *const *bt;
	uint32_t id;
	int n;

	if (SHIM_OWN_UNWINDER && !c->bt_taken && c->set < 0 && c->level >= 0 && shim_cfg.backtrace &&
	    !trap_regs && !call_tight(c) &&
	    history_frames_on_stack(c, &id) >= 0)
		return id;
	n = call_backtrace_upto(c, CLOSE_HISTORY_DEPTH, &bt);
	return close_history_record(bt, n);
}

int call_backtrace(struct call *c, void *const **ips)
{
	return call_backtrace_upto(c, shim_cfg.backtrace_depth, ips);
}
