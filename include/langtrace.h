/* Frames in the program's own language: Python, Ruby (and the JVM through
 * jvmagent.h), for records whose backtrace shows only the interpreter.
 *
 * Each runtime's exported entry points are looked up once, at load
 * (langtrace_init), never inside an interposed call; a runtime that is
 * absent, or of a version whose API or layout is not known here, gives no
 * frames.  A capture only ever asks the runtime what its own signal-safe
 * tools ask (faulthandler's dumper for Python, rb_profile_frames for Ruby,
 * AsyncGetCallTrace for the JVM), only on a thread the runtime knows, and
 * copies what it found into the call's own storage: no allocation, no
 * lock, no global interpreter lock needed. */
#ifndef SHIM_LANGTRACE_H
#define SHIM_LANGTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LANG_FRAMES_MAX 64
#define LANG_TEXT_MAX 4096 /* function and file names of one capture */

/* One frame; function and file point into the capture's text (not
 * NUL-terminated). */
struct lang_frame {
	const char *lang; /* "python", "ruby", "java" */
	const char *function;
	const char *file;
	uint16_t function_len, file_len;
	int line; /* -1: unknown */
};

/* Where a capture lands: frames and the text they point into. */
struct lang_capture {
	char text[LANG_TEXT_MAX];
	size_t text_len;
	struct lang_frame frames[LANG_FRAMES_MAX];
	int n;
};

struct record;

/* Looks up the runtimes' symbols in the process as loaded (the program and
 * its libraries: a python3 executable exports its C API itself, ruby's is
 * in libruby).  Called once from the shim's initialisation. */
void langtrace_init(void);

/* In a forked child: the private descriptors of the Python capture were
 * closed (privfd_close_in_child); they are made again when needed. */
void langtrace_after_fork_child(void);

/* The calling thread's frames in its runtime, innermost first, at most max
 * (bt[bt_n]: its native backtrace, which tells whether a runtime loaded
 * after the start is running on it),
 * into a capture of a process-wide pool (claimed lock-free, like call.h's
 * buffer sets); NULL when the thread is not inside a known runtime, or the
 * pool is empty.  Must run on the thread that made the interposed call,
 * never on a small signal stack (the runtimes' walkers use a few hundred
 * bytes of it).  lookup false (in a signal handler): a runtime loaded
 * after the start is not looked for (that walks the loader's list).
 * langtrace_release gives the capture back. */
struct lang_capture *langtrace_capture(int max, void *const *bt, int bt_n, bool lookup);
void langtrace_release(struct lang_capture *cap);
/* Whether langtrace_capture may find a runtime's frames through the native
 * ones, and so wants all of the native backtrace: a runtime is known, or
 * one loaded after the start is waiting for a backtrace through it.  False
 * in a program that has none (the native frames then tell it nothing), and
 * for the JVM's (its walk reads its own).  A runtime loaded late is found
 * by langtrace_capture's own look-up: true from then on. */
bool langtrace_wants_native_frames(void);
/* The same, by the frames of the capture (cap->frames). */
void langtrace_release_frames(const struct lang_frame *frames);

/* Appends "key":[{"lang","function","file","line"}...]; frames that do not
 * fit are left out and the record marked truncated. */
void langtrace_add(struct record *r, const char *key, const struct lang_frame *f, int n);

/* site (backtrace_site of the native frames) mixed with the innermost
 * BT_SITE_FRAMES language frames: their function, file name without its
 * directories, and line, so that it stays the same on every host running
 * the same program. */
uint64_t langtrace_site(uint64_t site, const struct lang_frame *f, int n);

/* Parses the text of CPython's _Py_DumpTraceback ("  File \"srv.py\", line
 * 5 in answer_and_close" per frame, innermost first) in cap->text into
 * cap->frames, at most max; returns how many.  Separate for the unit tests. */
int langtrace_parse_python(struct lang_capture *cap, int max);

/* For the JVM agent (jvmagent.c): installs the JVM's walker once its agent
 * has prepared the method ids.  The walker gets LANG_JVM_SCRATCH bytes of
 * the capture's own (16-aligned) for the runtime's frame array. */
#define LANG_JVM_SCRATCH (LANG_FRAMES_MAX * 16)
typedef int lang_jvm_walk_fn(struct lang_capture *cap, int max, void *scratch);
void langtrace_set_jvm(lang_jvm_walk_fn *walk);

/* Copies n bytes of s into cap's text; returns where, or NULL if full. */
const char *langtrace_keep(struct lang_capture *cap, const char *s, size_t n);

#endif
