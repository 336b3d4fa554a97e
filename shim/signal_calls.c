/* Entry points sigaction and signal, for raw mode only: the shim's SIGSYS
 * handler must stay first (Go installs its own through libc's sigaction),
 * with the program's kept and called for every SIGSYS that is not the
 * shim's (signal.Notify, kill -SYS).  Every other call passes through. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>

#include "export.h"
#include "libc.h"
#include "call.h"
#include "raw.h"

/* ThreadSanitizer's runtime calls sigaction and sigaltstack while it
 * initialises, before instrumented code may run: a TSan build of the shim
 * (make check SAN=thread, whose tests use neither raw mode nor small
 * alternate stacks) leaves these three out. */
#ifndef __SANITIZE_THREAD__
SHIM_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (sig == SIGSYS && raw_active())
		return raw_keep_sigaction(act, old);
	return libc_sigaction(sig, act, old);
}

SHIM_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction act = {.sa_handler = handler, .sa_flags = SA_RESTART}, old;

	if (sig != SIGSYS || !raw_active())
		return libc_signal(sig, handler);
	sigemptyset(&act.sa_mask);
	raw_keep_sigaction(&act, &old);
	return (old.sa_flags & SA_SIGINFO) ? (sighandler_t)(void *)old.sa_sigaction : old.sa_handler;
}

/* sigaltstack: the shim notes each thread's alternate signal stack, so
 * that a handler running on a small one gets records without unwinding
 * (call.h). */
SHIM_EXPORT int sigaltstack(const stack_t *ss, stack_t *old)
{
	int ret = libc_sigaltstack(ss, old);

	if (ret == 0 && ss) {
		int saved = errno;
		stack_t now;

		/* What the kernel has now (a request while on the stack fails). */
		if (libc_sigaltstack(NULL, &now) == 0)
			call_note_altstack(&now);
		errno = saved;
	}
	return ret;
}
#endif
