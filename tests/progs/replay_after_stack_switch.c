/* Records replayed on the main stack after one made on a coroutine's
 * (ucontext) stack: for each of 32 alignments of the main stack (a
 * variable-length array of 0, 128, ... 3968 bytes before the calls), one
 * double close (a record with a backtrace) on the main stack, one on a
 * coroutine's stack (a new place each time), then REPEAT on the main
 * stack again, each replayed from the first one's capture.  Prints "ok" and exits 0.  Run under
 * strace to count the shim's process_vm_readv calls (the readable stack
 * it learns, a page at a time): a replayed capture must not ask again
 * what the thread learnt before.  The closes are syscall(SYS_close, fd),
 * libuv's way: an entry point that passes no call site, so that the
 * shim finds it along its own frame pointers (close() passes its own). */
#include "progs.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>

#define REPEAT 50
#define CO_STACK (256 * 1024)

static ucontext_t main_ctx, co_ctx;

NOINLINE static void double_close(void)
{
	int p[2];

	if (pipe(p) != 0)
		die("pipe");
	syscall(SYS_close, p[1]);
	syscall(SYS_close, p[0]);
	syscall(SYS_close, p[0]); /* EBADF: a double_close record */
	__asm__ volatile("" ::: "memory"); /* no tail call */
}

static void coroutine(void)
{
	double_close();
}

NOINLINE static void at_depth(size_t pad, char *stack, size_t size)
{
	char room[pad + 1];

	__asm__ volatile("" : : "r"(room) : "memory"); /* kept on the stack */
	getcontext(&co_ctx);
	co_ctx.uc_stack.ss_sp = stack;
	co_ctx.uc_stack.ss_size = size;
	co_ctx.uc_link = &main_ctx;
	makecontext(&co_ctx, coroutine, 0);
	double_close();
	if (swapcontext(&main_ctx, &co_ctx) != 0)
		die("swapcontext");
	for (int i = 0; i < REPEAT; i++)
		double_close();
	__asm__ volatile("" : : "r"(room) : "memory");
}

int main(void)
{
	char *stack = mmap(NULL, CO_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);

	if (stack == MAP_FAILED)
		die("mmap");
	/* the coroutine's stack a page shorter each time: its capture is made
	 * (and its readable range kept), not replayed */
	for (size_t pad = 0; pad < 4096; pad += 128)
		at_depth(pad, stack, CO_STACK - pad / 128 * 4096);
	puts("ok");
	return 0;
}
