/* How much of a thread's own stack (pthread_attr_setstack) is left to its
 * function: glibc puts the static TLS of every loaded library, the shim's
 * too, at the top of a stack the program supplies.
 *
 *   thread_stack_not_taken usable SIZE    a thread on a SIZE-byte stack;
 *                                         prints "usable N": the bytes
 *                                         below its function's frame
 *   thread_stack_not_taken use SIZE USE   a thread on a SIZE-byte stack with
 *                                         an inaccessible page below it
 *                                         writes USE bytes of locals; prints
 *                                         "ok" (an overflow is a SIGSEGV) */
#include "progs.h"

#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>

#define PAGE 4096

static volatile uintptr_t here; /* an address in measure's frame */
static size_t use;

static void *measure(void *arg)
{
	char c;

	(void)arg;
	here = (uintptr_t)&c;
	return NULL;
}

/* USE bytes of stack, every one of them written. */
NOINLINE void *deep(void *arg)
{
	char *big = __builtin_alloca(use);

	(void)arg;
	for (size_t i = 0; i < use; i++)
		((volatile char *)big)[i] = (char)i;
	return big[use - 1] == (char)(use - 1) ? NULL : arg;
}

/* A SIZE-byte stack above a PROT_NONE guard page. */
static char *stack_with_guard(size_t size)
{
	char *m = mmap(NULL, size + PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		die("mmap");
	if (mprotect(m, PAGE, PROT_NONE) != 0)
		die("mprotect");
	return m + PAGE;
}

static void run(size_t size, void *(*fn)(void *), char *stack)
{
	pthread_attr_t a;
	pthread_t t;
	int r;

	pthread_attr_init(&a);
	pthread_attr_setstack(&a, stack, size);
	r = pthread_create(&t, &a, fn, NULL);
	if (r != 0) {
		errno = r;
		die("pthread_create");
	}
	pthread_join(t, NULL);
}

int main(int argc, char **argv)
{
	size_t size = argc > 2 ? strtoul(argv[2], NULL, 0) : 16384;

	if (argc > 2 && strcmp(argv[1], "usable") == 0) {
		char *stack = stack_with_guard(size);

		run(size, measure, stack);
		printf("usable %ld\n", (long)(here - (uintptr_t)stack));
		return 0;
	}
	if (argc > 3 && strcmp(argv[1], "use") == 0) {
		use = strtoul(argv[3], NULL, 0);
		run(size, deep, stack_with_guard(size));
		printf("ok\n");
		return 0;
	}
	fprintf(stderr, "usage: thread_stack_not_taken usable SIZE | use SIZE USE\n");
	return 2;
}
