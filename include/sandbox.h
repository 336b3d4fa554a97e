/* The program's own seccomp sandbox: the shim steps aside (see
 * shim/sandbox_calls.c). */
#ifndef SHIM_SANDBOX_H
#define SHIM_SANDBOX_H

#include <stdbool.h>

/* Whether seccomp(op, flags, ...) returning ret put a filter (or strict
 * mode) in place. */
bool sandbox_installed(long op, long flags, long ret);

#endif
