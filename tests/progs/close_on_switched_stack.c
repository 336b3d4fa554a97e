/* close() (or, with argument close_range, close_range()) of a pipe on a
 * stack of the program's own, entered by switching
 * the stack pointer (as coroutine libraries do), whose caller's frame the
 * unwinder cannot reach: the call frame information of the switch says
 * the caller's frame lies past the stack's end, on a page that cannot be
 * read.  Prints "ok" if each close returned 0 and left errno as it was
 * (as bare close() does on success), else what it found.  Exit 0 either
 * way when the program ran; 2 on a setup failure. */
#include "progs.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#define STACK_PAGES 16

#if defined(__x86_64__)
/* void run_on(void *top, void (*fn)(void)): fn on the stack below top.
 * After the switch the CFA is declared 1 MiB above the new stack pointer:
 * an unwinder stepping out of fn's caller reads past top (the guard page
 * above it). */
__asm__(".text\n"
	".globl run_on\n"
	".type run_on, @function\n"
	"run_on:\n"
	".cfi_startproc\n"
	"	pushq %rbp\n"
	".cfi_def_cfa_offset 16\n"
	".cfi_offset %rbp, -16\n"
	"	movq %rsp, %rbp\n"
	"	movq %rdi, %rsp\n"
	".cfi_def_cfa_offset 0x100000\n"
	"	call *%rsi\n"
	"	movq %rbp, %rsp\n"
	".cfi_def_cfa_offset 16\n"
	"	popq %rbp\n"
	".cfi_def_cfa_offset 8\n"
	"	ret\n"
	".cfi_endproc\n"
	".size run_on, .-run_on\n");
void run_on(void *top, void (*fn)(void));

static int fds[2], ret, err, by_range;

NOINLINE static void on_stack(void)
{
	errno = ENOTTY; /* left by some earlier call of the program's */
	ret = by_range ? close_range((unsigned)fds[0], (unsigned)fds[0], 0) : close(fds[0]);
	err = errno;
}

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	char *base = mmap(NULL, (size_t)page * (STACK_PAGES + 1), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *top;
	int bad = 0;

	by_range = argc > 1 && strcmp(argv[1], "close_range") == 0;
	if (by_range && syscall(SYS_close_range, ~0U, ~0U, 0) != 0 && errno == ENOSYS) {
		printf("skip: no close_range in this kernel\n");
		return 0;
	}
	if (base == MAP_FAILED)
		die("mmap");
	top = base + (size_t)page * STACK_PAGES;
	if (mprotect(top, (size_t)page, PROT_NONE) != 0) /* the guard above */
		die("mprotect");
	for (int i = 0; i < 3; i++) {
		if (pipe(fds) != 0)
			die("pipe");
		run_on(top - 64, on_stack);
		close(fds[1]);
		if (ret != 0 || err != ENOTTY) {
			printf("close %d: returned %d, errno %d (%s), before ENOTTY\n", i, ret, err,
			       strerror(err));
			bad = 1;
		}
	}
	if (!bad)
		printf("ok\n");
	return 0;
}
#else
int main(void)
{
	printf("skip: x86_64 only\n");
	return 0;
}
#endif
