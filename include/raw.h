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

/* sigaction(SIGSYS, ...) of the program while raw mode is on: its action is
 * kept aside, the shim's handler stays. */
int raw_keep_sigaction(const struct sigaction *act, struct sigaction *old);

#endif
