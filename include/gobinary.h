/* What the shim needs to know of a Go main program: that it is one (its
 * net package makes system calls without libc, which plain interposition
 * never sees), and where its system-call stub is. */
#ifndef SHIM_GOBINARY_H
#define SHIM_GOBINARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if the main program carries Go's build-ID note.  Reads the loaded
 * image only: no system call. */
bool gobinary_is_go(void);

/* The run-time address and size of function name in the main program's
 * symbol table (libelf, loaded for the purpose); false with *why if it
 * cannot be had (no libelf, a stripped binary). */
bool gobinary_symbol(const char *name, uintptr_t *addr, size_t *size, const char **why);

#endif
