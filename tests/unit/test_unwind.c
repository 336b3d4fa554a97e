/* Unit tests of the shim's own unwinder: on real stacks it gives exactly
 * the return addresses libunwind gives (recursion, frames with a frame
 * pointer and a variable-length array, calls through libc's qsort, another
 * thread, 60 frames deep), caches what it learned (the second capture the
 * same), through a signal handler's frame as libunwind does; and the CFA
 * interpreter on hand-made CIE/FDE bytes. */
#define _GNU_SOURCE
#include <alloca.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <dlfcn.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "unwind.h"

#define MAX 64

struct both {
	void *mine[MAX], *theirs[MAX];
	int n_mine, n_theirs;
};

/* libunwind's frames by unw_step (its unw_backtrace leaves a per-thread
 * cache that crashes at thread exit under ThreadSanitizer). */
__attribute__((noinline)) static int theirs(void **ips, int max)
{
	unw_context_t ctx;
	unw_cursor_t c;
	int n = 0;

	unw_getcontext(&ctx);
	unw_init_local(&c, &ctx);
	while (n < max && unw_step(&c) > 0) { /* from the caller of this */
		unw_word_t ip;

		unw_get_reg(&c, UNW_REG_IP, &ip);
		ips[n++] = (void *)ip;
	}
	return n;
}

/* Both unwinders from one frame.  Their first entries are return
 * addresses into this function (two different calls): compared from the
 * second on. */
__attribute__((noinline)) static void capture_both(struct both *b)
{
	struct unwind_cursor cur;

	b->n_theirs = theirs(b->theirs, MAX);
	b->n_mine = unwind_capture(b->mine, MAX, 0, 0, &cur, 0);
	__asm__ volatile("" ::: "memory");
}

static void assert_same(const struct both *b)
{
	assert_true(b->n_mine > 0);
	assert_int_equal(b->n_mine, b->n_theirs);
	for (int i = 1; i < b->n_mine; i++)
		if (b->mine[i] != b->theirs[i])
			fail_msg("frame %d: %p, libunwind %p", i, b->mine[i], b->theirs[i]);
}

__attribute__((noinline)) static int recurse(struct both *b, int depth)
{
	int r;

	if (depth == 0) {
		capture_both(b);
		return 1;
	}
	r = recurse(b, depth - 1) + 1;
	__asm__ volatile("" ::: "memory"); /* not a tail call */
	return r;
}

/* A variable-length array: the compiler keeps a frame pointer and the CFA
 * is found through it. */
__attribute__((noinline)) static int with_vla(struct both *b, int n)
{
	volatile char vla[n];

	vla[0] = 1;
	recurse(b, 2);
	return vla[0];
}

static struct both *sort_target;
static int compare(const void *x, const void *y)
{
	if (sort_target) {
		capture_both(sort_target);
		sort_target = NULL;
	}
	return *(const int *)x - *(const int *)y;
}

static void test_recursion(void **state)
{
	struct both b;

	(void)state;
	for (int d = 0; d < 50; d += 7) {
		recurse(&b, d);
		assert_same(&b);
		recurse(&b, d); /* from the cache now */
		assert_same(&b);
	}
}

static void test_frame_pointer_and_vla(void **state)
{
	struct both b;

	(void)state;
	for (int n = 1; n < 5000; n *= 3) {
		with_vla(&b, n);
		assert_same(&b);
	}
}

/* A capture is replayed from a kept one only where the stack still holds
 * the words that one read: two callers that put the capture at the same
 * stack pointer each get their own frames, every time. */
static volatile int sink;

__attribute__((noinline)) static int capture_16(void **ips, uintptr_t *where)
{
	struct unwind_cursor cur;
	int n;

	*where = (uintptr_t)__builtin_frame_address(0);
	n = unwind_capture(ips, 16, 0, 0, &cur, 0);
	__asm__ volatile("" ::: "memory");
	return n;
}

__attribute__((noinline)) static int caller_a(void **ips, uintptr_t *where)
{
	int n = capture_16(ips, where);

	sink = 1;
	return n;
}

__attribute__((noinline)) static int caller_b(void **ips, uintptr_t *where)
{
	int n = capture_16(ips, where);

	sink = 2;
	return n;
}

static void test_replay_checks_the_stack(void **state)
{
	(void)state;
	for (int round = 0; round < 4; round++) {
		void *a[16], *b[16];
		uintptr_t at_a, at_b;
		int na = caller_a(a, &at_a), nb = caller_b(b, &at_b);

		assert_int_equal(at_a, at_b); /* else this proves nothing */
		assert_true(na >= 3);
		assert_int_equal(na, nb);
		/* a[0], b[0]: into capture_16; a[1], b[1]: into each caller */
		if ((uintptr_t)a[1] - (uintptr_t)caller_a > 256)
			fail_msg("round %d: frame 1 %p is not in caller_a %p", round, a[1],
				 (void *)caller_a);
		if ((uintptr_t)b[1] - (uintptr_t)caller_b > 256)
			fail_msg("round %d: frame 1 %p is not in caller_b %p", round, b[1],
				 (void *)caller_b);
		/* a[2], b[2]: two calls in this function; then the same */
		assert_ptr_not_equal(a[2], b[2]);
		for (int i = 3; i < na; i++)
			assert_ptr_equal(a[i], b[i]);
	}
}

/* The same for a resume (replayed too): cut after the first frame, the
 * rest from the cursor, which both callers leave at the same place. */
__attribute__((noinline)) static int capture_cut(void **ips, uintptr_t *where)
{
	struct unwind_cursor cur;
	int n, more;

	*where = (uintptr_t)__builtin_frame_address(0);
	n = unwind_capture(ips, 1, 0, 0, &cur, 0);
	more = n == 1 ? unwind_resume(&cur, ips + 1, 15) : -1;
	__asm__ volatile("" ::: "memory");
	return more < 0 ? -1 : n + more;
}

__attribute__((noinline)) static int cut_caller_a(void **ips, uintptr_t *where)
{
	int n = capture_cut(ips, where);

	sink = 3;
	return n;
}

__attribute__((noinline)) static int cut_caller_b(void **ips, uintptr_t *where)
{
	int n = capture_cut(ips, where);

	sink = 4;
	return n;
}

static void test_resume_replay_checks_the_stack(void **state)
{
	(void)state;
	for (int round = 0; round < 4; round++) {
		void *a[16], *b[16];
		uintptr_t at_a, at_b;
		int na = cut_caller_a(a, &at_a), nb = cut_caller_b(b, &at_b);

		assert_int_equal(at_a, at_b);
		assert_true(na >= 3);
		assert_int_equal(na, nb);
		/* a[1], b[1]: the resume's first frame, into each caller */
		if ((uintptr_t)a[1] - (uintptr_t)cut_caller_a > 256)
			fail_msg("round %d: frame 1 %p is not in cut_caller_a %p", round, a[1],
				 (void *)cut_caller_a);
		if ((uintptr_t)b[1] - (uintptr_t)cut_caller_b > 256)
			fail_msg("round %d: frame 1 %p is not in cut_caller_b %p", round, b[1],
				 (void *)cut_caller_b);
		assert_ptr_not_equal(a[2], b[2]);
		for (int i = 3; i < na; i++)
			assert_ptr_equal(a[i], b[i]);
	}
}

static void test_through_libc(void **state)
{
	struct both b;
	int v[64];

	(void)state;
	for (int i = 0; i < 64; i++)
		v[i] = (i * 37) % 64;
	sort_target = &b;
	qsort(v, 64, sizeof v[0], compare);
	assert_same(&b);
}

static void *thread_main(void *arg)
{
	recurse(arg, 5);
	return NULL;
}

static void test_thread(void **state)
{
	struct both b;
	pthread_t t;

	(void)state;
	pthread_create(&t, NULL, thread_main, &b);
	pthread_join(t, NULL);
	assert_same(&b); /* down to clone3, whose return address is undefined */
}

/* Cut at 3, then resumed: the same frames as one capture of them all. */
__attribute__((noinline)) static void capture_in_parts(struct both *b)
{
	struct unwind_cursor cur;
	int n, more;

	b->n_theirs = unwind_capture(b->theirs, MAX, 0, 0, &cur, 0);
	n = unwind_capture(b->mine, 3, 0, 0, &cur, 0);
	assert_int_equal(n, 3);
	assert_int_not_equal(cur.pc, 0);
	more = unwind_resume(&cur, b->mine + n, 2);
	assert_int_equal(more, 2);
	more = unwind_resume(&cur, b->mine + n + 2, MAX - n - 2);
	b->n_mine = n + 2 + more;
	assert_int_equal(cur.pc, 0); /* the end of the stack */
	assert_int_equal(unwind_resume(&cur, b->mine, MAX), 0);
	__asm__ volatile("" ::: "memory");
}

static void test_truncated(void **state)
{
	void *ips[3];
	struct unwind_cursor cur;
	struct both b;

	(void)state;
	assert_int_equal(unwind_capture(ips, 3, 0, 0, &cur, 0), 3);
	assert_int_equal(unwind_capture(ips, 0, 0, 0, &cur, 0), 0);
	capture_in_parts(&b);
	assert_same(&b);
}

/* Code without frame pointers keeps other values in rbp (a counter, a
 * pointer) that change from call to call: a capture kept from one call and
 * replayed in the next, and the resume from its cursor, still give
 * libunwind's frames.  rbp_holder calls with rbp = v (the CFI says the
 * push moved the CFA, not that rbp was saved: the frames above carry v). */
void capture_parts(struct both *b);
__attribute__((noinline)) void capture_parts(struct both *b)
{
	struct unwind_cursor cur;
	int n, more;

	b->n_theirs = theirs(b->theirs, MAX);
	n = unwind_capture(b->mine, 3, 0, 0, &cur, 0);
	more = n == 3 ? unwind_resume(&cur, b->mine + 3, MAX - 3) : 0;
	b->n_mine = n + (more > 0 ? more : 0);
	__asm__ volatile("" ::: "memory");
}

/* (all in assembly: the stack stays aligned for the call) */
void rbp_holder(struct both *b, long v);
__asm__(".text\n"
	".globl rbp_holder\n"
	".type rbp_holder, @function\n"
	"rbp_holder:\n"
	".cfi_startproc\n"
	"push %rbp\n"
	".cfi_adjust_cfa_offset 8\n"
	"mov %rsi, %rbp\n"
	"call capture_parts\n"
	"pop %rbp\n"
	".cfi_adjust_cfa_offset -8\n"
	"ret\n"
	".cfi_endproc\n"
	".size rbp_holder, .-rbp_holder\n");

static void test_changing_frame_pointer(void **state)
{
	(void)state;
	for (long i = 0; i < 6; i++) {
		struct both b;

		rbp_holder(&b, i % 3 == 2 ? 0x7fff0000 + 8 * i : i);
		assert_same(&b);
	}
}

/* Through a signal handler's frame (the kernel's context, glibc's
 * sigreturn trampoline) into the interrupted code, as libunwind goes: from
 * a raise() on the normal stack, from one on an alternate stack, and from
 * a timer that interrupts a loop (the interrupted frame's address is where
 * it stopped, not a return address).  Before: -1, the frame refused. */
static struct both in_handler;
static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	(void)sig;
	if (!caught)
		capture_both(&in_handler);
	caught = 1;
}

__attribute__((noinline)) static void raise_usr1(void)
{
	raise(SIGUSR1);
	__asm__ volatile("" ::: "memory");
}

/* Bounded (~10 s): a signal that never comes fails the test, not hangs
 * it. */
__attribute__((noinline)) static void spin_until_caught(void)
{
	for (unsigned long i = 0; !caught && i < (1UL << 34); i++)
		__asm__ volatile("" ::: "memory");
}

static void catch_on(int sig, int flags)
{
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = flags};

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	caught = 0;
	memset(&in_handler, 0, sizeof in_handler);
}

static void test_signal_frame_followed(void **state)
{
	(void)state;
	catch_on(SIGUSR1, 0);
	raise_usr1();
	assert_true(caught);
	assert_same(&in_handler);
	/* (main and __libc_start_main lie below the signal's frame) */
	assert_true(in_handler.n_mine > 6);
}

static void test_signal_frame_on_alternate_stack(void **state)
{
	stack_t ss = {.ss_size = 256 * 1024}, old;

	(void)state;
	ss.ss_sp = malloc(ss.ss_size);
	assert_non_null(ss.ss_sp);
	assert_int_equal(sigaltstack(&ss, &old), 0);
	catch_on(SIGUSR1, SA_ONSTACK);
	raise_usr1();
	assert_true(caught);
	assert_same(&in_handler);
	assert_true(in_handler.n_mine > 6);
	ss.ss_flags = SS_DISABLE;
	sigaltstack(&ss, NULL);
	free(ss.ss_sp);
}

static void test_signal_interrupting_a_loop(void **state)
{
	struct itimerval it = {{0, 0}, {0, 1000}};

	(void)state;
#if defined(__SANITIZE_THREAD__)
	/* ThreadSanitizer delivers a signal at its next intercepted call,
	 * never in a loop without one */
	skip();
#endif
	catch_on(SIGALRM, 0);
	setitimer(ITIMER_REAL, &it, NULL);
	spin_until_caught();
	assert_true(caught);
	assert_same(&in_handler);
	assert_true(in_handler.n_mine > 4);
}

/* Through a function without unwind information (no FDE: hand-written,
 * frame pointer kept), by the frame pointer chain, as libunwind goes. */
void unit_nocfi_call(void);
void (*unit_nocfi_target)(void);
__asm__(".text\n"
	".globl unit_nocfi_call\n"
	".type unit_nocfi_call, @function\n"
	"unit_nocfi_call:\n"
	"push %rbp\n"
	"mov %rsp, %rbp\n"
	"call *unit_nocfi_target(%rip)\n"
	"pop %rbp\n"
	"ret\n"
	".size unit_nocfi_call, .-unit_nocfi_call\n");
static struct both through_nocfi;

__attribute__((noinline)) static void nocfi_callee(void)
{
	capture_both(&through_nocfi);
}

static void test_frame_without_unwind_information(void **state)
{
	(void)state;
	unit_nocfi_target = nocfi_callee;
	unit_nocfi_call();
	assert_same(&through_nocfi);
	assert_true(through_nocfi.n_mine > 4);
}

/* A frame interrupted in a PLT stub (a signal's context: the cursor is
 * exact).  binutils describes .plt with a CFA expression (rsp + 8, or + 16
 * once the stub pushed its index); libunwind evaluates it.  The frame
 * pointer chain would skip the function that called through the PLT.
 * entry_resume stands for the stub's state: its entry stack pointer (the
 * return address into its caller on top) and the caller's frame pointer,
 * with cur->pc set by the caller. */
int entry_resume(struct unwind_cursor *cur, void **ips, int max);
void plt_ref(void);
__asm__(".text\n"
	".globl entry_resume\n"
	".type entry_resume, @function\n"
	"entry_resume:\n"
	"mov %rsp, 8(%rdi)\n"
	"mov %rbp, 16(%rdi)\n"
	"sub $8, %rsp\n"
	"call unwind_resume\n"
	"add $8, %rsp\n"
	"ret\n"
	".size entry_resume, .-entry_resume\n"
	".globl plt_ref\n"
	".type plt_ref, @function\n"
	"plt_ref:\n"
	"jmp getpgrp@PLT\n"
	".size plt_ref, .-plt_ref\n");

static uintptr_t plt_stub(void)
{
	const uint8_t *p = (const uint8_t *)plt_ref;
	int32_t rel;

	assert_int_equal(p[0], 0xe9);
	memcpy(&rel, p + 1, 4);
	return (uintptr_t)p + 5 + (uintptr_t)(intptr_t)rel;
}

__attribute__((noinline, optimize("no-omit-frame-pointer"))) static void
resume_at_entry(struct both *b, uintptr_t pc)
{
	struct unwind_cursor cur = {.pc = pc, .exact = true};

	b->n_theirs = theirs(b->theirs, MAX);
	b->n_mine = entry_resume(&cur, b->mine, MAX);
	__asm__ volatile("" ::: "memory");
}

static void test_interrupted_in_plt(void **state)
{
	uintptr_t stub = plt_stub();
	struct both b;

	(void)state;
	/* (the stub is the program's, not libc's getpgrp: a function whose
	 * address is taken here would go through .plt.got instead) */
	assert_true(stub - (uintptr_t)plt_ref < ((uintptr_t)1 << 30) ||
		    (uintptr_t)plt_ref - stub < ((uintptr_t)1 << 30));
	/* at a function's entry (a rule), then at the stub's first byte */
	resume_at_entry(&b, (uintptr_t)getppid);
	assert_same(&b);
	resume_at_entry(&b, stub);
	assert_same(&b);
	/* mine[0]: the return address into resume_at_entry, where the stub
	 * was "called" from */
	assert_true((uintptr_t)b.mine[0] - (uintptr_t)resume_at_entry < 4096);
}

/* A frame without unwind information whose frame pointer does not lead
 * on (rbp 0 here) ends the capture; that capture must not be replayed for
 * the next one from the same place whose frame pointer does lead on (the
 * frame pointer it ended on is a key, or it is not kept). */
void nocfi_bp_call(void (*fn)(struct both *), struct both *b, long chain);
__asm__(".text\n"
	".globl nocfi_bp_call\n"
	".type nocfi_bp_call, @function\n"
	"nocfi_bp_call:\n"
	"push %rbp\n"
	"mov %rsp, %rbp\n"
	"test %rdx, %rdx\n"
	"jnz 1f\n"
	"xor %ebp, %ebp\n"
	"1:\n"
	"mov %rdi, %rax\n"
	"mov %rsi, %rdi\n"
	"call *%rax\n"
	"pop %rbp\n"
	"ret\n"
	".size nocfi_bp_call, .-nocfi_bp_call\n");

__attribute__((noinline)) static void capture_keeping_bp(struct both *b)
{
	b->n_theirs = theirs(b->theirs, MAX);
	b->n_mine = unwind_capture(b->mine, MAX, 0, 0, &(struct unwind_cursor){0}, 0);
	__asm__ volatile("" ::: "memory");
}

static void test_frame_pointer_end_not_replayed(void **state)
{
	(void)state;
	for (int round = 0; round < 3; round++) {
		struct both ended, chained;

		nocfi_bp_call(capture_keeping_bp, &ended, 0);
		nocfi_bp_call(capture_keeping_bp, &chained, 1);
		assert_same(&chained);
		assert_true(chained.n_mine > ended.n_mine);
	}
}

/* A resume from an exact cursor (a frame interrupted by a signal) that
 * asks for no frame leaves the cursor as it was, replayed too: the next
 * resume still looks its pc up as is, not one byte back.  exact_entry's
 * byte before lies in a frame with another rule (after a push). */
void entry_call(struct unwind_cursor *cur, void (*fn)(struct unwind_cursor *));
void exact_entry(void);
__asm__(".text\n"
	".globl entry_call\n"
	".type entry_call, @function\n"
	"entry_call:\n"
	"mov %rsp, 8(%rdi)\n"
	"mov %rbp, 16(%rdi)\n"
	"sub $8, %rsp\n"
	"call *%rsi\n"
	"add $8, %rsp\n"
	"ret\n"
	".size entry_call, .-entry_call\n"
	"before_exact_entry:\n"
	".cfi_startproc\n"
	"push %rbp\n"
	".cfi_adjust_cfa_offset 8\n"
	"int3\n"
	".cfi_endproc\n"
	".globl exact_entry\n"
	".type exact_entry, @function\n"
	"exact_entry:\n"
	".cfi_startproc\n"
	"ret\n"
	".cfi_endproc\n"
	".size exact_entry, .-exact_entry\n");
static struct both *empty_resumes_target;

static void empty_resumes(struct unwind_cursor *cur)
{
	void *ips[1];
	struct both *b = empty_resumes_target;

	assert_int_equal(unwind_resume(cur, ips, 0), 0);
	assert_int_equal(unwind_resume(cur, ips, 0), 0); /* replayed */
	b->n_mine = unwind_resume(cur, b->mine, MAX);
}

__attribute__((noinline, optimize("no-omit-frame-pointer"))) static void
resume_after_empty(struct both *b)
{
	struct unwind_cursor cur = {.pc = (uintptr_t)exact_entry, .exact = true};

	b->n_theirs = theirs(b->theirs, MAX);
	empty_resumes_target = b;
	entry_call(&cur, empty_resumes);
	__asm__ volatile("" ::: "memory");
}

static void test_exact_cursor_kept_by_empty_resume(void **state)
{
	(void)state;
	for (int round = 0; round < 3; round++) {
		struct both b;

		resume_after_empty(&b);
		assert_same(&b);
		assert_true((uintptr_t)b.mine[0] - (uintptr_t)resume_after_empty < 4096);
	}
}

/* Through a DRAP frame (GCC realigns the stack of a function with an
 * over-aligned local and a variable-sized one: its CFA is the word at
 * rbp - 16, given by an expression, and rbp is saved at rbp + 0), from a
 * caller without a frame pointer.  The frame pointer chain took rbp + 16
 * for the CFA and every frame past it was wrong; libunwind evaluates the
 * expression, as this does now. */
static struct both through_drap;

__attribute__((noinline)) static void drap_leaf(void)
{
	capture_both(&through_drap);
	__asm__ volatile("" ::: "memory");
}

void unit_drap(int n);
__attribute__((noinline, optimize("omit-frame-pointer"))) void unit_drap(int n)
{
	char *p = alloca((size_t)n);
	_Alignas(64) char buf[64];

	__asm__ volatile("" : : "r"(p), "r"(buf) : "memory");
	drap_leaf();
	__asm__ volatile("" : : "r"(p), "r"(buf) : "memory");
}

__attribute__((noinline, optimize("omit-frame-pointer"))) static void drap_caller(int n)
{
	volatile int pad[5] = {0};

	unit_drap(n + pad[0]);
	__asm__ volatile("" ::: "memory");
}

static void test_drap_frame(void **state)
{
	(void)state;
	drap_caller(40);
	assert_same(&through_drap);
	assert_true(through_drap.n_mine > 5);
}

/* A rule learned for one module's code must not be taken for another's
 * loaded at the same address, however many dlcloses came between (the
 * review of issue 14: the cache kept 16 bits of the generation, and after
 * 65536 invalidations unwind_plug_a's rule was used in unwind_plug_b:
 * "2 frames instead of 7").  Skipped when the two do not land at one
 * address or the plugins are not built (make check builds them). */
static struct both *plug_target;
__attribute__((noinline)) static void plug_cb(void)
{
	capture_both(plug_target);
	__asm__ volatile("" ::: "memory"); /* not a tail call */
}

/* The frames through the plugin's f: plug_cb, f, then this test. */
static void assert_through_f(const struct both *b, void *f)
{
	Dl_info info;

	assert_true(b->n_mine >= 4);
	assert_true(dladdr(b->mine[2], &info) && info.dli_saddr == f); /* in f */
	assert_true(dladdr(b->mine[3], &info) && info.dli_sname);
	assert_string_equal(info.dli_sname, "test_generation_wrap");
}

static void *plug_f(const char *name, void **handle)
{
	char path[256];
	const char *dir = getenv("SHIM_TEST_PROGS");

	snprintf(path, sizeof path, "%s/%s", dir ? dir : "build/progs", name);
	*handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	return *handle ? dlsym(*handle, "f") : NULL;
}

void test_generation_wrap(void **state);
void test_generation_wrap(void **state)
{
	void *ha, *hb;
	void (*fa)(void (*)(void)), (*fb)(void (*)(void));
	struct both b;

	(void)state;
	plug_target = &b;
	fa = (void (*)(void (*)(void)))plug_f("unwind_plug_a.so", &ha);
	if (!fa)
		skip();
	fa(plug_cb);
	assert_through_f(&b, (void *)fa);
	dlclose(ha);
	for (int i = 0; i < 65536; i++) /* what the dlclose wrapper does at each unload */
		unwind_invalidate();
	fb = (void (*)(void (*)(void)))plug_f("unwind_plug_b.so", &hb);
	assert_non_null(fb);
	if ((void *)fb != (void *)fa) {
		dlclose(hb);
		skip();
	}
	fb(plug_cb);
	assert_through_f(&b, (void *)fb);
	dlclose(hb);
}

/* ---- the CFA interpreter on bytes made here ---- */

#define SEC_SIZE 256

/* A section: a CIE "zR" (fde encoding absptr), code 1, data -8, ra 16,
 * with the usual initial rules (CFA = rsp+8, ra at cfa-8), then one FDE
 * for [0x1000, 0x1100) with the given program. */
static size_t make_section(uint8_t *sec, const uint8_t *prog, size_t prog_len, uint8_t enc)
{
	static const uint8_t cie_body[] = {
		0, 0, 0, 0,	    /* CIE id */
		1,		    /* version */
		'z', 'R', 0,	    /* augmentation */
		1,		    /* code alignment */
		0x78,		    /* data alignment -8 */
		16,		    /* return address register */
		1, 0,		    /* augmentation data: fde encoding (patched) */
		0x0c, 7, 8,	    /* def_cfa rsp+8 */
		0x90, 1,	    /* offset ra at cfa-8 */
	};
	size_t n = 0, fde_at;
	uint32_t len = sizeof cie_body, cie_ptr;
	uint64_t begin = 0x1000, range = 0x100;

	memcpy(sec + n, &len, 4);
	memcpy(sec + n + 4, cie_body, sizeof cie_body);
	sec[n + 4 + 12] = enc;
	n += 4 + sizeof cie_body;
	fde_at = n;
	len = (uint32_t)(4 + 8 + 8 + 1 + prog_len);
	memcpy(sec + n, &len, 4);
	cie_ptr = (uint32_t)(n + 4);
	memcpy(sec + n + 4, &cie_ptr, 4);
	memcpy(sec + n + 8, &begin, 8);
	memcpy(sec + n + 16, &range, 8);
	sec[n + 24] = 0; /* augmentation data length */
	memcpy(sec + n + 25, prog, prog_len);
	return fde_at;
}

/* The rule at pc from the FDE at sec + fde of a section of SEC_SIZE bytes
 * made by make_section. */
static struct unwind_rule rule_at(const uint8_t *sec, size_t fde, uintptr_t pc)
{
	return unwind_rule_from_fde(sec + fde, sec, sec + SEC_SIZE, pc);
}

static void test_cfa_program(void **state)
{
	/* push rbp; mov rbp,rsp; ... ; remember; leave; restore */
	static const uint8_t prog[] = {
		0x41,	     /* advance 1 */
		0x0e, 16,    /* def_cfa_offset 16 */
		0x86, 2,     /* rbp at cfa-16 */
		0x43,	     /* advance 3 */
		0x0d, 6,     /* def_cfa_register rbp */
		0x50,	     /* advance 0x10 (to 0x1014) */
		0x0a,	     /* remember_state */
		0x0c, 7, 8,  /* def_cfa rsp+8 (after leave) */
		0x41,	     /* advance 1 (0x1015) */
		0x0b,	     /* restore_state */
	};
	uint8_t sec[SEC_SIZE];
	size_t fde = make_section(sec, prog, sizeof prog, 0);
	struct unwind_rule r;

	(void)state;
	r = rule_at(sec, fde, 0x1000);
	assert_int_equal(r.kind, UNWIND_STEP);
	assert_int_equal(r.cfa_base, UNWIND_CFA_SP);
	assert_int_equal(r.cfa_off, 8);
	assert_int_equal(r.ra_off, -8);
	assert_false(r.bp_saved);
	r = rule_at(sec, fde, 0x1002);
	assert_int_equal(r.cfa_base, UNWIND_CFA_SP);
	assert_int_equal(r.cfa_off, 16);
	assert_true(r.bp_saved);
	assert_int_equal(r.bp_off, -16);
	r = rule_at(sec, fde, 0x1010);
	assert_int_equal(r.cfa_base, UNWIND_CFA_BP);
	assert_int_equal(r.cfa_off, 16);
	r = rule_at(sec, fde, 0x1014);
	assert_int_equal(r.cfa_base, UNWIND_CFA_SP);
	assert_int_equal(r.cfa_off, 8);
	r = rule_at(sec, fde, 0x1015);
	assert_int_equal(r.cfa_base, UNWIND_CFA_BP); /* restored, CFA rule included */
	assert_int_equal(r.cfa_off, 16);
	/* outside the FDE's range */
	r = rule_at(sec, fde, 0x1100);
	assert_int_equal(r.kind, UNWIND_FAIL);
	/* every cut of the section fails cleanly, never reads past it */
	for (size_t cut = 0; cut < fde + 25 + sizeof prog; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);

		memcpy(copy, sec, cut);
		r = unwind_rule_from_fde(copy + (fde < cut ? fde : 0), copy, copy + cut, 0x1015);
		assert_int_equal(r.kind, UNWIND_FAIL);
		free(copy);
	}
}

/* GCC's DRAP frame by its bytes (the CFA in r10, rbp saved at rbp + 0 by
 * an expression, then the CFA the word at rbp - 8), and a CFA expression
 * after it that is no DRAP's (binutils' .plt form): the CFA is that one,
 * rsp + 8, not the word at rbp + 8. */
static void test_cfa_drap(void **state)
{
	static const uint8_t prog[] = {
		0x0c, 10, 0,		     /* def_cfa r10+0 */
		0x41,			     /* advance 1 (0x1001) */
		0x10, 6, 2, 0x76, 0,	     /* expression rbp: breg6 0 */
		0x41,			     /* advance 1 (0x1002) */
		0x0f, 3, 0x76, 0x78, 0x06,   /* def_cfa_expression breg6 -8; deref */
		0x4e,			     /* advance 14 (0x1010) */
		0x0f, 11, 0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24,
		0x22,			     /* def_cfa_expression: the .plt's */
	};
	uint8_t sec[SEC_SIZE];
	size_t fde = make_section(sec, prog, sizeof prog, 0);
	struct unwind_rule r;

	(void)state;
	r = rule_at(sec, fde, 0x1000);
	assert_int_equal(r.kind, UNWIND_FAIL);
	r = rule_at(sec, fde, 0x1002);
	assert_int_equal(r.kind, UNWIND_STEP);
	assert_int_equal(r.cfa_base, UNWIND_CFA_BP_DEREF);
	assert_int_equal(r.cfa_off, -8);
	assert_int_equal(r.ra_off, -8);
	assert_true(r.bp_saved && r.bp_at_bp);
	assert_int_equal(r.bp_off, 0);
	r = rule_at(sec, fde, 0x1010);
	assert_int_equal(r.kind, UNWIND_STEP);
	assert_int_equal(r.cfa_base, UNWIND_CFA_SP);
	assert_int_equal(r.cfa_off, 8);
	/* rbp "saved at rbp + 0" without the DRAP CFA: GCC's epilogue after
	 * leave, rbp is the caller's already (the review's finding 5: the
	 * walk ended there, the saved rbp outside the frame) */
	assert_false(r.bp_saved);
}

static void test_cfa_refusals(void **state)
{
	static const uint8_t expr[] = {0x0f, 1, 0x77};	 /* def_cfa_expression */
	static const uint8_t r10[] = {0x0c, 10, 0};	 /* CFA in r10 (stack realignment) */
	static const uint8_t undef_ra[] = {0x07, 16};	 /* outermost frame */
	static const uint8_t bad_op[] = {0x20};		 /* no such opcode */
	uint8_t sec[SEC_SIZE];
	size_t fde;

	(void)state;
	fde = make_section(sec, expr, sizeof expr, 0);
	assert_int_equal(rule_at(sec, fde, 0x1000).kind,
			 UNWIND_FAIL);
	fde = make_section(sec, r10, sizeof r10, 0);
	assert_int_equal(rule_at(sec, fde, 0x1000).kind,
			 UNWIND_FAIL);
	fde = make_section(sec, undef_ra, sizeof undef_ra, 0);
	assert_int_equal(rule_at(sec, fde, 0x1000).kind,
			 UNWIND_END);
	fde = make_section(sec, bad_op, sizeof bad_op, 0);
	assert_int_equal(rule_at(sec, fde, 0x1000).kind,
			 UNWIND_FAIL);
}

/* Captures kept in memory shared across fork (unwind_share_across_fork):
 * a forked child replays the one an earlier child kept, which must give
 * the frames libunwind gives, and only where the stack holds the same
 * words (a child whose call site differs at the same depth gets its own).
 * Deeper than any other test goes (pad), so that a child finds nothing of
 * its parent's there: what it replays can only be a sibling's.  A child
 * that walked asks the predicate whether its capture can be shared; one
 * that replayed asks nothing: so each child tells which it did. */
static int permanent_asked;

static bool every_module_permanent(void *const *ips, int n)
{
	(void)ips;
	(void)n;
	permanent_asked++;
	return true;
}

__attribute__((noinline)) static void tree_site_x(struct both *b)
{
	capture_both(b);
	sink = 5;
}

__attribute__((noinline)) static void tree_site_y(struct both *b)
{
	capture_both(b);
	sink = 6;
}

__attribute__((noinline)) static int tree_child(int pad, bool y, bool walks)
{
	volatile char *room = alloca((size_t)pad);
	struct both b;

	room[0] = 1;
	permanent_asked = 0;
	if (y)
		tree_site_y(&b);
	else
		tree_site_x(&b);
	if (b.n_mine <= 0 || b.n_mine != b.n_theirs)
		return 1;
	for (int i = 1; i < b.n_mine; i++)
		if (b.mine[i] != b.theirs[i])
			return 2;
	if ((permanent_asked > 0) != walks)
		return walks ? 4 : 5; /* 4: nothing shared; 5: not replayed */
	return room[0] == 1 ? 0 : 3;
}

static void test_tree_shared_across_fork(void **state)
{
	/* the sites in turn, and whether the child walks (the first of each) */
	const struct {
		bool y, walks;
	} children[] = {{false, true}, {false, false}, {true, true}, {true, false}, {false, false}};

	(void)state;
	unwind_share_across_fork(every_module_permanent);
	for (size_t i = 0; i < sizeof children / sizeof *children; i++) {
		pid_t child = fork();
		int status;

		assert_true(child >= 0);
		if (child == 0)
			_exit(tree_child(3000, children[i].y, children[i].walks));
		assert_int_equal(waitpid(child, &status, 0), child);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) != 0)
			fail_msg("child %zu (site %c): %d", i, children[i].y ? 'y' : 'x',
				 WEXITSTATUS(status));
	}
}

/* A cursor kept in the shared table is used only where a walk would have
 * left it (review of the shared table: any process of the tree can write
 * it).  The first child captures two frames (a cursor kept with them) and
 * then moves that kept cursor into another function and 4 KiB below the
 * stack, as a child could; the second child's capture at the same place
 * replays the frames, and its resume from the cursor must give libunwind's
 * frames still: before, it went on from there, and its frames were not
 * libunwind's (child 1: 1).  White-box: the kept cursor is found as its two words, pc then
 * sp, in the shared table (the only shared mapping of this test). */
__attribute__((noinline)) static void capture_cut_both(struct both *b,
							struct unwind_cursor *kept)
{
	struct unwind_cursor cur;
	int n;

	b->n_theirs = theirs(b->theirs, MAX);
	n = unwind_capture(b->mine, 2, 0, 0, &cur, 0);
	*kept = cur; /* the capture's, before the resume moves it on */
	b->n_mine = n == 2 ? 2 + unwind_resume(&cur, b->mine + 2, MAX - 2) : -1;
	__asm__ volatile("" ::: "memory");
}

/* Moves the kept cursor (pc, sp) of the shared table into theirs() and to
 * sp - 4096; false if it is not there. */
static bool move_kept_cursor(uintptr_t pc, uintptr_t sp)
{
	char line[512];
	bool moved = false;
	FILE *maps = fopen("/proc/self/maps", "r");

	if (!maps)
		return false;
	while (fgets(line, sizeof line, maps)) {
		unsigned long lo, hi;

		if (!strstr(line, "/dev/zero") || sscanf(line, "%lx-%lx", &lo, &hi) != 2)
			continue;
		for (uintptr_t *w = (uintptr_t *)lo; w + 1 < (uintptr_t *)hi; w++)
			if (w[0] == pc && w[1] == sp) {
				w[0] = (uintptr_t)theirs + 16;
				w[1] = sp - 4096;
				moved = true;
			}
	}
	fclose(maps);
	return moved;
}

__attribute__((noinline)) static int cursor_child(int pad, bool first)
{
	volatile char *room = alloca((size_t)pad);
	struct unwind_cursor cur;
	struct both b;

	room[0] = 1;
	capture_cut_both(&b, &cur);
	if (first)
		return cur.pc && move_kept_cursor(cur.pc, cur.sp) ? 0 : 7;
	if (b.n_mine <= 2 || b.n_mine != b.n_theirs)
		return 1;
	for (int i = 1; i < b.n_mine; i++)
		if (b.mine[i] != b.theirs[i])
			return 2;
	return room[0] == 1 ? 0 : 3;
}

static void test_regress_shared_cursor_checked(void **state)
{
	(void)state;
	unwind_share_across_fork(every_module_permanent);
	for (int i = 0; i < 2; i++) {
		pid_t child = fork();
		int status;

		assert_true(child >= 0);
		if (child == 0)
			_exit(cursor_child(3500, i == 0));
		assert_int_equal(waitpid(child, &status, 0), child);
		assert_true(WIFEXITED(status));
		if (WEXITSTATUS(status) != 0)
			fail_msg("child %d: %d", i, WEXITSTATUS(status));
	}
}

/* A kept capture is replayed even where the thread knows less of its
 * stack to be readable than the capture read: the known range grows (a
 * page at a time, as a walk's), and the replay goes on.  Before, such a
 * replay was refused and the capture walked again: a forked child whose
 * close was deeper than any of its parent's captures walked every time
 * (test_tree_shared_across_fork failed 7 times in 40 under ASan, where
 * whether the parent's range reached the children's frames depended on
 * where the stack began).  In a thread of its own (its range is its own):
 * a capture at one place (a walk), one far deeper (its range then starts
 * there, and covers only the frame it read), and the first place again,
 * which must replay (it asks the predicate nothing) and give libunwind's
 * frames. */
__attribute__((noinline)) static void capture_at(int pad, struct both *b)
{
	volatile char *room = alloca((size_t)pad);

	room[0] = 1;
	capture_both(b);
	sink = room[0];
}

__attribute__((noinline)) static void capture_one_frame_at(int pad)
{
	volatile char *room = alloca((size_t)pad);
	struct unwind_cursor cur;
	void *ips[1];

	room[0] = 1;
	unwind_capture(ips, 1, 0, 0, &cur, 0);
	sink = room[0];
}

static volatile int range_phase; /* (in memory: the two calls of range_step
				    find the same values in every register) */
static struct both range_both;

__attribute__((noinline)) static void range_step(void)
{
	capture_at(9000, &range_both); /* the first time a walk, kept: it reads beyond a page */
}

static void range_as_it_is(void)
{
}

static void range_made_short(void)
{
	capture_one_frame_at(40000); /* the range now starts 40 KB deeper */
	permanent_asked = 0;
}

/* (through a table, not a branch: a compiler may copy the call after a
 * branch into each arm, and the two captures then differ in a return
 * address) */
static void (*const before_step[2])(void) = {range_as_it_is, range_made_short};

static void *range_short_thread(void *arg)
{
	int *walked = arg;
	bool first_kept = false;

	permanent_asked = 0;
	for (range_phase = 0; range_phase < 2; range_phase++) {
		before_step[range_phase]();
		range_step(); /* (one call site: the same frames) */
		assert_same(&range_both);
		if (range_phase == 0)
			first_kept = permanent_asked > 0;
	}
	/* (-1: the first walk was not kept, and nothing could be replayed) */
	*walked = first_kept ? permanent_asked : -1;
	return NULL;
}

static void test_regress_replay_beyond_known_range(void **state)
{
	pthread_t t;
	int walked = -1;

	(void)state;
	unwind_share_across_fork(every_module_permanent); /* (a walk asks it) */
	assert_int_equal(pthread_create(&t, NULL, range_short_thread, &walked), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(walked, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recursion),
		cmocka_unit_test(test_frame_pointer_and_vla),
		cmocka_unit_test(test_replay_checks_the_stack),
		cmocka_unit_test(test_resume_replay_checks_the_stack),
		cmocka_unit_test(test_through_libc),
		cmocka_unit_test(test_thread),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_changing_frame_pointer),
		cmocka_unit_test(test_signal_frame_followed),
		cmocka_unit_test(test_signal_frame_on_alternate_stack),
		cmocka_unit_test(test_signal_interrupting_a_loop),
		cmocka_unit_test(test_frame_without_unwind_information),
		cmocka_unit_test(test_drap_frame),
		cmocka_unit_test(test_interrupted_in_plt),
		cmocka_unit_test(test_frame_pointer_end_not_replayed),
		cmocka_unit_test(test_exact_cursor_kept_by_empty_resume),
		cmocka_unit_test(test_generation_wrap),
		cmocka_unit_test(test_cfa_program),
		cmocka_unit_test(test_cfa_refusals),
		cmocka_unit_test(test_cfa_drap),
		/* last: the captures of every test after it would be shared */
		cmocka_unit_test(test_tree_shared_across_fork),
		cmocka_unit_test(test_regress_shared_cursor_checked),
		cmocka_unit_test(test_regress_replay_beyond_known_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
