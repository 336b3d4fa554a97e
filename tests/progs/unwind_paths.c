/* close(-1) where a backtrace must cross what a plain frame-by-frame walk
 * cannot: a signal handler's frame, and a function without unwind
 * information.  Each mode makes one close_error record.
 *
 *   unwind_paths handler    interrupted_worker raises SIGUSR1; the handler
 *                           (normal stack) calls handler_closer
 *   unwind_paths altstack   the same, the handler on a 256 KiB alternate
 *                           stack (the walk goes from one stack to the other)
 *   unwind_paths timer      a timer's SIGALRM interrupts spinning_worker in
 *                           its loop (the frame is where it was interrupted,
 *                           not a return address); the handler closes
 *   unwind_paths nocfi      fp_caller calls nocfi_closer, which has no
 *                           unwind information (hand-written, frame pointer
 *                           kept), and which closes
 * Prints "ok". */
#include "progs.h"

#include <sys/time.h>

static volatile sig_atomic_t handled;

NOINLINE void handler_closer(void)
{
	close(-1);
}

static void on_signal(int sig)
{
	int saved = errno;

	(void)sig;
	if (!handled)
		handler_closer();
	handled = 1;
	errno = saved;
}

NOINLINE void interrupted_worker(void)
{
	raise(SIGUSR1);
}

NOINLINE void spinning_worker(void)
{
	struct itimerval it = {{0, 0}, {0, 2000}};

	setitimer(ITIMER_REAL, &it, NULL);
	while (!handled)
		;
}

#if defined(__x86_64__)
/* No .cfi directives: no FDE in .eh_frame for it. */
void nocfi_closer(void);
__asm__(".text\n"
	".globl nocfi_closer\n"
	".type nocfi_closer, @function\n"
	"nocfi_closer:\n"
	"push %rbp\n"
	"mov %rsp, %rbp\n"
	"mov $-1, %edi\n"
	"call close@PLT\n"
	"pop %rbp\n"
	"ret\n"
	".size nocfi_closer, .-nocfi_closer\n");

NOINLINE void fp_caller(void)
{
	nocfi_closer();
}
#endif

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	const char *mode = argc > 1 ? argv[1] : "";

	sigemptyset(&sa.sa_mask);
	if (strcmp(mode, "handler") == 0 || strcmp(mode, "altstack") == 0) {
		if (mode[0] == 'a') {
			stack_t ss = {.ss_size = 256 * 1024};

			ss.ss_sp = malloc(ss.ss_size);
			if (!ss.ss_sp || sigaltstack(&ss, NULL) != 0)
				die("sigaltstack");
			sa.sa_flags = SA_ONSTACK;
		}
		sigaction(SIGUSR1, &sa, NULL);
		interrupted_worker();
	} else if (strcmp(mode, "timer") == 0) {
		sigaction(SIGALRM, &sa, NULL);
		spinning_worker();
#if defined(__x86_64__)
	} else if (strcmp(mode, "nocfi") == 0) {
		fp_caller();
#endif
	} else {
		fprintf(stderr, "usage: unwind_paths handler|altstack|timer|nocfi\n");
		return 2;
	}
	if (strcmp(mode, "nocfi") != 0 && !handled)
		return 1;
	puts("ok");
	return 0;
}
