/* Hand-rolled coroutines whose stacks end at a guard page, each calling
 * close(-1) (a close_error record with a backtrace):
 *   coroutine_stack_top tramp   entered through a CFI-annotated trampoline
 *                               by a jump at the stack's top, which calls
 *                               the body (the usual pattern)
 *   coroutine_stack_top exit    the stack's top slot holds the first byte
 *                               of a function (as makecontext does with
 *                               __start_context), the function before it
 *                               ending right there
 * Prints "close(-1) = -1: the program goes on" and exits 0.  (From the
 * review of issue 14: the unwinder read past the stack's top, onto the
 * guard page, and the host died of SIGSEGV.) */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern void coro_jump(void *sp, void (*fn)(void));
extern void coro_call(void *sp, void (*fn)(void));
extern void coro_exit(void);
__asm__(".text\n"
	".globl tramp\n.type tramp,@function\ntramp:\n.cfi_startproc\n"
	"\tcall *%rbx\n\tud2\n.cfi_endproc\n.size tramp,.-tramp\n"
	".globl coro_call\n.type coro_call,@function\ncoro_call:\n"
	"\tmov %rdi, %rsp\n\tmov %rsi, %rbx\n\tjmp tramp\n.size coro_call,.-coro_call\n"
	".globl before_exit\n.type before_exit,@function\nbefore_exit:\n.cfi_startproc\n"
	"\tret\n.cfi_endproc\n.size before_exit,.-before_exit\n"
	".globl coro_exit\n.type coro_exit,@function\ncoro_exit:\n.cfi_startproc\n"
	"\tmov $60, %eax\n\txor %edi, %edi\n\tsyscall\n.cfi_endproc\n.size coro_exit,.-coro_exit\n"
	".globl coro_jump\n.type coro_jump,@function\ncoro_jump:\n"
	"\tmov %rdi, %rsp\n\tjmp *%rsi\n.size coro_jump,.-coro_jump\n");

__attribute__((noinline)) void coroutine_body(void)
{
	int r = close(-1);

	printf("close(-1) = %d: the program goes on\n", r);
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	size_t pg = 4096;
	char *m = mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t *top;

	if (argc != 2 || m == MAP_FAILED)
		return 2;
	mprotect(m + 15 * pg, pg, PROT_NONE); /* a guard page above the stack */
	top = (uintptr_t *)(m + 15 * pg);
	if (strcmp(argv[1], "tramp") == 0) {
		coro_call(top, coroutine_body);
	} else {
		top[-1] = (uintptr_t)coro_exit; /* where the body "returns" */
		coro_jump(top - 1, coroutine_body);
	}
	return 2;
}
