/* Stacks on which the supervisor's guess of a frame pointer (C's: -O0, its
 * call frame information reads rbp) must not throw the true slot away for
 * what C's caller's own return address looks like
 * (regress_supervise_guess_chains):
 *   signal    C called from a signal handler H: H returns to the signal
 *             trampoline, after no call instruction;
 *   indirect  B called by run0() through call *(%rdi), a form the
 *             supervisor does not decode;
 *   tail      B entered by a jmp from X, which A called: A's return
 *             address follows a call of X;
 *   noreturn  C does not return and B's call of it is B's last
 *             instruction: B's return address is the next function's
 *             first byte.
 * Each closes a socket from C; prints "closed", exits 0. */
#include "progs.h"

static int fd = -1;

NOINLINE int C(int f)
{
	volatile char buf[64];

	buf[0] = 0;
	return close(f) + buf[0];
}

static void H(int sig)
{
	(void)sig;
	C(fd);
}

NOINLINE int B(int f)
{
	return C(f) + 1;
}

struct ops {
	int (*fn)(int);
};

/* (O2: call *(%rdi)) */
NOINLINE __attribute__((optimize("O2"))) int run0(struct ops *o, int f)
{
	return o->fn(f) + 1;
}

/* (O2: jmp B) */
NOINLINE __attribute__((optimize("O2"))) int X(int f)
{
	return B(f);
}

NOINLINE int A(int f)
{
	return X(f) + 1;
}

NOINLINE __attribute__((noreturn)) void C_exit(int f)
{
	volatile char buf[64];

	buf[0] = 0;
	close(f);
	printf("closed\n");
	fflush(stdout);
	_exit(buf[0]);
}

/* (B_exit's call ends it, and A_exit follows with no padding between: not
 * aligned) */
#pragma GCC push_options
#pragma GCC optimize("align-functions=1")
NOINLINE void B_exit(int f)
{
	C_exit(f);
}

NOINLINE int A_exit(int f)
{
	B_exit(f);
	return 0;
}
#pragma GCC pop_options

int main(int argc, char **argv)
{
	struct ops o = {B};
	const char *mode = argc > 1 ? argv[1] : "";

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (!strcmp(mode, "signal")) {
		signal(SIGUSR1, H);
		raise(SIGUSR1);
	} else if (!strcmp(mode, "indirect")) {
		run0(&o, fd);
	} else if (!strcmp(mode, "tail")) {
		A(fd);
	} else if (!strcmp(mode, "noreturn")) {
		A_exit(fd);
	} else {
		fprintf(stderr, "usage: guess_chains signal|indirect|tail|noreturn\n");
		return 2;
	}
	printf("closed\n");
	return 0;
}
