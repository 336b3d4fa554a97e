/* The shim's process-wide state: configuration, initialisation, and the
 * guard that keeps the shim's own work out of its own bookkeeping. */
#ifndef SHIM_SHIM_H
#define SHIM_SHIM_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

/* Read-only once shim_ready() has returned true. */
extern struct config shim_cfg;

enum { INIT_NONE, INIT_RUNNING, INIT_DONE };
extern int shim_init_state;

/* Runs the initialisation if nobody has yet.  Returns false while it is
 * not finished: the caller then passes its call straight through (this is
 * the case for calls made by the initialisation itself, and for a thread
 * that races with it). */
bool shim_init_slow(void);

static inline bool shim_ready(void)
{
	if (__builtin_expect(__atomic_load_n(&shim_init_state, __ATOMIC_ACQUIRE) == INIT_DONE, 1))
		return true;
	return shim_init_slow();
}

/* Depth of the shim's calls into foreign code (libunwind, dladdr) on this
 * thread.  An interposed call made meanwhile (a signal handler's close, or
 * libunwind's own) is recorded as any other, but takes no backtrace: an
 * unwinder must not be entered again from inside itself. */
extern __thread int shim_busy __attribute__((tls_model("initial-exec")));

/* Set while this thread is a vfork child (see shim/vfork.S). */
extern __thread int shim_in_vfork_child __attribute__((tls_model("initial-exec")));

static inline bool shim_passthrough(void)
{
	return !shim_ready() || shim_in_vfork_child;
}

/* Whether closing a socket needs more than the plain path: events are
 * logged or graceful close is on.  Derived from shim_cfg once. */
extern bool shim_sockets_watched;

/* The pid of this process, kept current across fork by the atfork
 * handler. */
extern pid_t shim_pid;

/* The program's short name, for the "prog" field. */
extern char shim_prog[64];

#endif
