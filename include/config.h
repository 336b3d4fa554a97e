/* Configuration: every SOCKSHIM_* variable parsed once, at load, into one
 * struct that the rest of the shim only reads. */
#ifndef SHIM_CONFIG_H
#define SHIM_CONFIG_H

#include <limits.h>
#include <stdbool.h>

enum graceful_mode { GRACEFUL_OFF, GRACEFUL_ON, GRACEFUL_ALWAYS };
enum linger_mode { LINGER_ASYNC, LINGER_SYNC };
enum log_dest { LOG_STDERR, LOG_SYSLOG, LOG_FILE, LOG_JOURNALD };
enum event_level { EVENTS_NONE, EVENTS_ERRORS, EVENTS_ALL };
enum raw_mode { RAW_OFF, RAW_SECCOMP };

#define CONFIG_LINGER_MS_DEFAULT 1000
#define CONFIG_LINGER_MS_MAX 3600000 /* an hour: anything longer is a typo */
#define CONFIG_DEPTH_DEFAULT 16
#define CONFIG_DEPTH_MAX 64
#define CONFIG_RATE_N_DEFAULT 10
#define CONFIG_RATE_WINDOW_DEFAULT 60
#define CONFIG_RATE_N_MAX 1000000
#define CONFIG_RATE_WINDOW_MAX 86400

struct config {
	bool reuseaddr;
	bool reuseport;
	enum graceful_mode graceful;
	int linger_ms;
	enum linger_mode linger_mode;
	enum log_dest log_dest;
	char log_path[PATH_MAX]; /* LOG_FILE: the template, %p not yet expanded */
	enum event_level events;
	bool backtrace;
	int backtrace_depth;
	bool lang_frames; /* lang_backtrace (langtrace.h) */
	enum raw_mode raw;
	int rate_n;	    /* records per site and event in each window; 0: no limit */
	int rate_window_s;
	/* Derived: closing a socket needs more than the plain path (events
	 * are logged or graceful close is on). */
	bool sockets_watched;
	/* Derived: nothing reads the descriptor table (events=none, graceful
	 * off, no SO_REUSE* kept forced), and the shim holds no descriptor of
	 * its own (no log is opened at events=none): a close is the real close
	 * alone, new sockets are not recorded, and forks and exits are the
	 * program's alone (no fork handlers, nothing done at exit). */
	bool closes_untracked;
};

/* The process's configuration: read-only once the shim is initialised
 * (shim.h). */
extern struct config shim_cfg;

/* Called once per unusable variable: its name, its value (NULL when the
 * problem is the name itself) and why it was not used. */
typedef void config_report_fn(void *ctx, const char *name, const char *value,
			      const char *reason);

/* The defaults of ../shared/DESIGN.md. */
void config_defaults(struct config *cfg);

/* Fills *cfg from the SOCKSHIM_* entries of envp (NULL-terminated, as
 * environ).  A bad value is reported and leaves the default; an unknown
 * SOCKSHIM_* name (a typo) is reported.  Allocates nothing. */
void config_parse(char *const *envp, struct config *cfg,
		  config_report_fn *report, void *ctx);

#endif
