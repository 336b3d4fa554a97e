/* sockshim: the public names of the interface contract (../shared/DESIGN.md).
 *
 * Shared by the preloaded library, its tests and its tools, so that an event
 * or a variable is spelled in one place only. */
#ifndef SOCKSHIM_H
#define SOCKSHIM_H

/* The release, kept in one place: the first line of debian/changelog.  The
 * Makefile passes it (-DSHIM_VERSION=...) to everything it builds, and
 * writes it into the installed copy of this header. */
#ifndef SHIM_VERSION
#error "SHIM_VERSION comes from the Makefile (debian/changelog's first line)"
#endif

/* Environment variables, read once when the library loads. */
#define SHIM_ENV_PREFIX "SOCKSHIM_"
#define SHIM_ENV_REUSEADDR "SOCKSHIM_REUSEADDR"
#define SHIM_ENV_REUSEPORT "SOCKSHIM_REUSEPORT"
#define SHIM_ENV_GRACEFUL "SOCKSHIM_GRACEFUL"
#define SHIM_ENV_LINGER_MS "SOCKSHIM_LINGER_MS"
#define SHIM_ENV_LINGER_MODE "SOCKSHIM_LINGER_MODE"
#define SHIM_ENV_LOG "SOCKSHIM_LOG"
#define SHIM_ENV_EVENTS "SOCKSHIM_EVENTS"
#define SHIM_ENV_BACKTRACE "SOCKSHIM_BACKTRACE"
#define SHIM_ENV_BACKTRACE_DEPTH "SOCKSHIM_BACKTRACE_DEPTH"
#define SHIM_ENV_RAW "SOCKSHIM_RAW"
/* lang_backtrace on records (Python, Ruby, Java frames): 0/1, default 1. */
#define SHIM_ENV_LANG_FRAMES "SOCKSHIM_LANG_FRAMES"
/* Added to the contract: records per call site and event, "N/SECONDS" or
 * "0" (no limit); default 10/60. */
#define SHIM_ENV_RATE "SOCKSHIM_RATE"

/* Event names of the log. */
#define SHIM_EV_CLOSE_ERROR "close_error"
#define SHIM_EV_DOUBLE_CLOSE "double_close"
#define SHIM_EV_SHUTDOWN_ERROR "shutdown_error"
#define SHIM_EV_SETSOCKOPT_ERROR "setsockopt_error"
#define SHIM_EV_CLOSE_RST "close_rst"
#define SHIM_EV_CLOSE_PENDING_ERROR "close_pending_error"
#define SHIM_EV_GRACEFUL_CLOSE "graceful_close"
#define SHIM_EV_GRACEFUL_TIMEOUT "graceful_timeout"
#define SHIM_EV_REUSEADDR_FORCED "reuseaddr_forced"
#define SHIM_EV_REUSEPORT_FORCED "reuseport_forced"
#define SHIM_EV_CONFIG_ERROR "config_error"
#define SHIM_EV_RAW_SYSCALLS_UNSEEN "raw_syscalls_unseen"
/* Added to the contract: backtraces stopped for good (see shim/pipe_calls.c). */
#define SHIM_EV_BACKTRACE_DISABLED "backtrace_disabled"
/* Added to the contract: at start, what SOCKSHIM_RAW=seccomp did (enabled,
 * and at what cost, or refused, and why). */
#define SHIM_EV_RAW_MODE "raw_mode"
/* Added to the contract: records were lost because the destination would
 * have blocked the program (a full pipe) or the record was made too deep
 * inside nested signal handlers, or in a signal handler while the log file
 * was being opened; "dropped" counts them. */
#define SHIM_EV_LOG_DROPPED "log_dropped"
/* Added to the contract: in async mode a socket to be lingered on could not
 * be handed to the background (capacity, no descriptor left, a signal
 * handler on a small stack); it was closed as the program asked. */
#define SHIM_EV_GRACEFUL_SKIPPED "graceful_skipped"
/* Added to the contract: in the window of SOCKSHIM_RATE just ended, `count`
 * more records of event `suppressed_event` at call site `site` were not
 * written (so that totals stay exact). */
#define SHIM_EV_SUPPRESSED "suppressed"
/* Added to the contract: (events=all) once when the library starts in a
 * process image, with its release in "version". */
#define SHIM_EV_START "start"
/* Added to the contract: the launcher's way to a library of its own choice
 * (the path may hold $LIB, expanded by the loader per architecture). */
#define SHIM_ENV_LIBRARY "SOCKSHIM_LIBRARY"
/* Added to the contract: once at start under the supervisor (sockshim
 * --supervise): what is trapped, by which process, and whether
 * no_new_privs was set. */
#define SHIM_EV_SUPERVISED "supervised"
#define SHIM_EV_SOCKET "socket"
#define SHIM_EV_ACCEPT "accept"
#define SHIM_EV_SHUTDOWN "shutdown"
#define SHIM_EV_CLOSE "close"

/* Log destinations other than a path (SOCKSHIM_LOG). */
#define SHIM_LOG_STDERR "stderr"
#define SHIM_LOG_SYSLOG "syslog"
#define SHIM_LOG_JOURNALD "journald"

/* The syslog tag (and journald's SYSLOG_IDENTIFIER) of every record: fixed,
 * so that a collector can route the shim's records apart (the program is in
 * the record). */
#define SHIM_LOG_TAG "sockshim"

/* journald fields of each record (SOCKSHIM_LOG=journald), besides MESSAGE
 * (the JSON record), PRIORITY, SYSLOG_IDENTIFIER and CODE_FUNC (the
 * function of the first backtrace frame): the record's fields of the same
 * meaning, for `journalctl SOCKSHIM_EVENT=close_rst`, and the whole record. */
#define SHIM_JOURNAL_EVENT "SOCKSHIM_EVENT"
#define SHIM_JOURNAL_SITE "SOCKSHIM_SITE"
#define SHIM_JOURNAL_PEER "SOCKSHIM_PEER"
#define SHIM_JOURNAL_LOCAL "SOCKSHIM_LOCAL"
#define SHIM_JOURNAL_REASON "SOCKSHIM_REASON"
#define SHIM_JOURNAL_ERRNO "SOCKSHIM_ERRNO"
#define SHIM_JOURNAL_RECORD "SOCKSHIM_RECORD"

/* A log record is at most this many bytes, newline included: PIPE_BUF, so
 * that even a record written into a pipe (stderr read by a collector) is one
 * atomic write.  A backtrace that does not fit is cut and marked
 * "truncated":true. */
#define SHIM_RECORD_MAX 4096

#endif
