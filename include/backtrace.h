/* Backtraces of the program's calls, with libunwind (local unwinding only).
 *
 * libunwind is loaded with dlopen(RTLD_LOCAL) rather than linked: its
 * libunwind.so.8 also defines _Unwind_RaiseException and backtrace(), and a
 * preloaded library's dependency would put those ahead of libgcc_s and libc
 * for the whole program, changing how its C++ exceptions unwind. */
#ifndef SHIM_BACKTRACE_H
#define SHIM_BACKTRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "unwind.h"

#define BT_MAX 64

struct record;

/* Readies the unwinder: on x86_64 the shim's own (never false); elsewhere
 * loads libunwind and warms it up (its first unwind sets up caches and
 * must not happen inside an interposed call), false if it is not
 * available (then backtraces are empty). */
bool backtrace_init(void);

/* Before a fork: the captures of frames in modules never unloaded are
 * kept, from now on, where the child and its own children find them
 * (unwind_share_across_fork; once, at the first fork: a program that never
 * forks has no use for it). */
void backtrace_before_fork(void);

/* Stops all unwinding for good: libunwind's pipe number was handed to the
 * program (it dup2()ed onto it), and libunwind would read and write it.
 * Returns true the first time (the caller reports it). */
bool backtrace_disable(void);

/* True if caller (a return address) is libunwind's code, called while this
 * thread unwinds for the shim (not a signal handler that interrupted it). */
bool backtrace_in_progress(const void *caller);

/* The frames of code that keeps frame pointers (Go), from a trapped call's
 * registers: ip first, the return address at sp, then the chain of frame
 * pointers from bp.  At most max; returns how many. */
int backtrace_from_frame_pointers(uintptr_t ip, uintptr_t sp, uintptr_t bp, void **ips,
				  int max);

/* The return addresses of the calling code, innermost first, starting at
 * the program's call into the shim (the shim's own frames left out); at
 * most max.  Returns how many.  No allocation: on x86_64 the shim's own
 * unwinder, elsewhere libunwind's fast path with its per-thread cache. */
int backtrace_capture(void **ips, int max);

/* The same with the shim's own unwinder (unwind.h): no lock, no system
 * call, never a cancellation point; -1 where there is none (then
 * backtrace_capture, libunwind's).  *more: where to go on deeper.  site:
 * the program's call site where the caller knows it, else 0
 * (unwind_capture). */
int backtrace_capture_fast(void **ips, int max, struct unwind_cursor *more, uintptr_t site);

/* The next frames (at most max) from where a capture stopped, within the
 * same call; -1 if a frame could not be followed. */
int backtrace_resume_fast(struct unwind_cursor *more, void **ips, int max);

/* Appends "key":[frames] to the record: for each frame its ip, module (the
 * object's path), offset (ip relative to the object's load address: what
 * addr2line -e module takes) and, where the dynamic symbol table knows it,
 * symbol ("name+0x1f").  Frames that do not fit are left out and the record
 * is marked truncated.  lookup false (inside a signal handler): names not
 * seen before are not looked up (symcache.h). */
void backtrace_add(struct record *r, const char *key, void *const *ips, int n, bool lookup);

/* How many innermost frames identify a call site. */
#define BT_SITE_FRAMES 4

/* A stable id of the call site of ips[n]: a hash of the module file names
 * (without their directories) and offsets of the first BT_SITE_FRAMES
 * frames, the same on every host running the same binaries. */
uint64_t backtrace_site(void *const *ips, int n, bool lookup);

/* The same id from frames named elsewhere (the supervisor's): module is
 * the object's path (NULL: unknown, then offset is the bare address). */
uint64_t backtrace_site_part(const char *module, uint64_t offset);
uint64_t backtrace_site_of_parts(const uint64_t *parts, int n);

#endif
