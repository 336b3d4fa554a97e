/* Naming the frames of call sites with libdw (elfutils): the function
 * and, where the object has debug info, the source line.  The object a
 * frame names is found by its path as the log gives it (under a
 * --binaries directory first, for binaries copied from other hosts), or
 * by the frame's build ID: in those directories, in the debug
 * directories (/usr/lib/debug/.build-id and --debug-dir), and from
 * debuginfod when DEBUGINFOD_URLS is set (libdw asks it). */
#ifndef REPORT_SYMBOLIZE_H
#define REPORT_SYMBOLIZE_H

#include <jansson.h>
#include <stddef.h>

/* Directories to look in, kept by reference. */
void sym_binary_dir(const char *dir);
void sym_debug_dir(const char *dir);

/* Checks the frames of backtrace BT (a JSON array of the log's frames)
 * against the objects they name: an object whose symbols do not start
 * where the log's say is marked stale (rebuilt since the log was written).
 * Every call site shown is checked before any is named. */
void sym_check(json_t *bt);
/* The frames of BT, named (see tools/report/output.c for the fields);
 * frames in no module (JIT code) from the perf map of process PID
 * (perfmap.h; 0: none). */
json_t *sym_name_frames(json_t *bt, long pid);
/* The paths of the objects found stale, a JSON array. */
json_t *sym_stale_objects(void);
/* Frees every object opened. */
void sym_close(void);

#endif
