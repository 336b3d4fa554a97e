/* Where records go: the shim's private copy of stderr, syslog, journald,
 * or a file per process.  Each record is one line written with one write(2)
 * (or one datagram to syslog or journald), so records from threads and
 * processes sharing a destination never interleave.  A daemon that is away
 * is tried again at most once a second; a file rotated away is opened again
 * (checked at most once a second). */
#ifndef SHIM_LOG_H
#define SHIM_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

enum log_severity { LOG_SEV_ERROR, LOG_SEV_INFO };

/* Sets up the destination of cfg (stderr becomes journald when stderr is
 * the journal's stream).  On failure (no socket for a daemon; a file that
 * is a symlink, not writable, or asked for by a setuid program) falls back
 * to stderr and returns false with a reason in *why.  A daemon that is not
 * there yet is no failure: records are dropped and counted until it is.  A
 * file is opened at the first record. */
bool log_open(const struct config *cfg, const char **why);

/* Writes one record (len bytes, ending in a newline), never blocking:
 * returns true if it was written.  A record the destination cannot take
 * now (a full pipe or socket, a daemon away, a full disk) is dropped and
 * counted. */
bool log_write(const char *line, size_t len, enum log_severity sev);

/* Counts n records lost; log_take_dropped returns the count since the last
 * take and starts again from 0 (the caller reports it in a record). */
void log_count_dropped(long long n);
long long log_take_dropped(void);
/* In a forked child: the parent reports its own drops. */
void log_forget_dropped(void);

/* In a forked child: a per-process file (%p) is reopened under the child's
 * pid at the next record; the parent's is closed now. */
void log_after_fork_child(void);
/* The process ends: its own file (a path with %p) that it wrote nothing
 * into is removed.  A forking server's children each opened theirs at the
 * fork (log_after_fork_child), and one that never logged left an empty
 * file behind: thousands an hour (regress_per_process_empty_removed). */
void log_process_ends(void);
/* The process is about to exec: its own file that it wrote nothing into
 * is removed (regress_per_process_exec_leaves_no_empty_file);
 * log_exec_failed: the exec did not happen, and the next record makes it
 * again. */
void log_before_exec(void);
void log_exec_failed(void);

/* The process is about to change its root (chroot): a log file not yet
 * opened (it is opened at the first record) is opened now, while its path
 * still leads to it (regress_log_file_before_chroot). */
void log_before_chroot(void);
/* The chroot succeeded: if the root changed, the file's path names
 * another file or none in the new one, so the file opened before is
 * written on and no longer checked for rotation (nor opened again by a
 * forked child of a %p path) by that path
 * (regress_log_rotation_after_chroot). */
void log_after_chroot(void);

/* The longest record (newline included) for the destination: 4096
 * (SHIM_RECORD_MAX), less for journald, where `journalctl -o json` prints
 * a field of 4096 bytes or more with its name and "=" as null:
 * SOCKSHIM_RECORD's 16 bytes, and for syslog MESSAGE's 8 (journald keeps
 * the records of a host where it owns /dev/log)
 * (regress_journal_record_fits_json). */
size_t log_record_max(void);

/* True if slot is one of the log's private descriptors. */
bool log_owns_slot(int slot);

/* Expands %p (pid) and %% in tmpl into out[size]; false if it does not
 * fit. */
bool log_expand_path(const char *tmpl, int pid, char *out, size_t size);

#endif
