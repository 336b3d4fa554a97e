/* sockshim: the public names of the interface contract (../shared/DESIGN.md).
 *
 * Shared by the preloaded library, its tests and its tools, so that an event
 * or a variable is spelled in one place only. */
#ifndef SOCKSHIM_H
#define SOCKSHIM_H

#define SOCKSHIM_VERSION "0.1.0"

/* Environment variables, read once when the library loads. */
#define SOCKSHIM_ENV_PREFIX "SOCKSHIM_"
#define SOCKSHIM_ENV_REUSEADDR "SOCKSHIM_REUSEADDR"
#define SOCKSHIM_ENV_REUSEPORT "SOCKSHIM_REUSEPORT"
#define SOCKSHIM_ENV_GRACEFUL "SOCKSHIM_GRACEFUL"
#define SOCKSHIM_ENV_LINGER_MS "SOCKSHIM_LINGER_MS"
#define SOCKSHIM_ENV_LINGER_MODE "SOCKSHIM_LINGER_MODE"
#define SOCKSHIM_ENV_LOG "SOCKSHIM_LOG"
#define SOCKSHIM_ENV_EVENTS "SOCKSHIM_EVENTS"
#define SOCKSHIM_ENV_BACKTRACE "SOCKSHIM_BACKTRACE"
#define SOCKSHIM_ENV_BACKTRACE_DEPTH "SOCKSHIM_BACKTRACE_DEPTH"
#define SOCKSHIM_ENV_RAW "SOCKSHIM_RAW"

/* Event names of the log. */
#define SOCKSHIM_EV_CLOSE_ERROR "close_error"
#define SOCKSHIM_EV_DOUBLE_CLOSE "double_close"
#define SOCKSHIM_EV_SHUTDOWN_ERROR "shutdown_error"
#define SOCKSHIM_EV_SETSOCKOPT_ERROR "setsockopt_error"
#define SOCKSHIM_EV_CLOSE_RST "close_rst"
#define SOCKSHIM_EV_CLOSE_PENDING_ERROR "close_pending_error"
#define SOCKSHIM_EV_GRACEFUL_CLOSE "graceful_close"
#define SOCKSHIM_EV_GRACEFUL_TIMEOUT "graceful_timeout"
#define SOCKSHIM_EV_REUSEADDR_FORCED "reuseaddr_forced"
#define SOCKSHIM_EV_REUSEPORT_FORCED "reuseport_forced"
#define SOCKSHIM_EV_CONFIG_ERROR "config_error"
#define SOCKSHIM_EV_RAW_SYSCALLS_UNSEEN "raw_syscalls_unseen"
/* Added to the contract: backtraces stopped for good (see shim/pipe_calls.c). */
#define SOCKSHIM_EV_BACKTRACE_DISABLED "backtrace_disabled"
/* Added to the contract: at start, what SOCKSHIM_RAW=seccomp did (enabled,
 * and at what cost, or refused, and why). */
#define SOCKSHIM_EV_RAW_MODE "raw_mode"
#define SOCKSHIM_EV_SOCKET "socket"
#define SOCKSHIM_EV_ACCEPT "accept"
#define SOCKSHIM_EV_SHUTDOWN "shutdown"
#define SOCKSHIM_EV_CLOSE "close"

/* A log record is at most this many bytes, newline included: PIPE_BUF, so
 * that even a record written into a pipe (stderr read by a collector) is one
 * atomic write.  A backtrace that does not fit is cut and marked
 * "truncated":true. */
#define SOCKSHIM_RECORD_MAX 4096

#endif
