/* SOCKSHIM_RAW=seccomp: catching the socket calls a Go program makes
 * without libc (see shim/raw.c). */
#ifndef SHIM_RAW_H
#define SHIM_RAW_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Sets raw mode up (at load), or says with a raw_mode record why not. */
void raw_init(void);

/* Without raw mode: a raw_syscalls_unseen record if this is a Go program. */
void raw_note_unseen(void);

bool raw_active(void);

/* The address in Go's stub that a trapped call comes from, as it would be
 * without the shim (the first frame of its backtrace).  Process state, in
 * init.c with the rest, so that backtrace.c needs nothing else of raw mode. */
extern uintptr_t raw_site_after;
static inline uintptr_t raw_site_ip(void)
{
	return raw_site_after;
}

/* The ucontext of the trapped call being handled on this thread, NULL
 * outside the handler: backtraces then walk Go's frame pointers from it. */
extern __thread const void *raw_trap_context __attribute__((tls_model("initial-exec")));

/* sigaction(SIGSYS, ...) of the program while raw mode is on: its action is
 * kept aside, the shim's handler stays. */
int raw_keep_sigaction(const struct sigaction *act, struct sigaction *old);

#endif
