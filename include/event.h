/* Events: the records of the log, as ../shared/DESIGN.md names them.
 *
 * A record is built in the current call's buffer (call.h) and takes the
 * call's backtrace, captured once per call. */
#ifndef SHIM_EVENT_H
#define SHIM_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "log.h"

/* A socket's addresses as text, looked up while it is connected (after
 * the peer's FIN the kernel no longer tells the peer). */
struct event_addresses {
	char local[120];
	char peer[120];
};

/* Fills *a with fd's addresses ("" where there is none). */
void event_lookup_addresses(int fd, struct event_addresses *a);



/* A socket's addresses as the kernel gives them (each len bytes long). */
struct event_sockaddrs {
	const struct sockaddr *local, *peer;
	socklen_t len;
};

/* A backtrace frame resolved by the caller: the supervisor unwinds another
 * process and names its frames itself (dladdr knows only this process).
 * Written with the same fields as backtrace_add's. */
struct event_frame {
	uint64_t ip;
	const char *module; /* NULL: unknown (then no offset or symbol either) */
	uint64_t offset;    /* within the module's ELF image */
	const char *symbol; /* NULL: unknown */
	uint64_t symbol_off;
};

/* A record about another process (the supervisor's): its pid, thread and
 * program, and its frames in place of this process's own. */
struct event_foreign {
	int pid, tid;
	const char *prog;
	const struct event_frame *bt;
	const struct event_frame *first_bt; /* double_close: the earlier close */
	int bt_n, first_bt_n;
};

/* What one record says.  Fields left at their EVENT_INIT value are not
 * written. */
struct event {
	/* (Ordered to pack: one may sit on a small signal stack.) */
	const char *name;
	const char *reason;
	const struct event_addresses *given_addresses; /* ... or these, looked up before */
	const struct event_sockaddrs *given_sockaddrs; /* ... or these, formatted when
							  written */
	const char *variable; /* config_error */
	const char *value;    /* config_error; NULL: none */
	const char *mode;     /* graceful_*: "async" or "sync" */
	const char *suppressed_event; /* suppressed: the event not written */
	const char *version;  /* start: the library's release */
	void *const *given_bt; /* ... or this one, captured earlier */
	void *const *first_bt; /* double_close: where the earlier close was */
	const struct lang_frame *lang; /* lang_backtrace (langtrace.h) */
	const struct event_foreign *foreign; /* NULL: about this process */
	long long unread;   /* -1: none */
	long long drained;  /* -1: none */
	long long ms;	    /* -1: none */
	long long dropped;  /* log_dropped: records lost; -1: none */
	long long count;    /* suppressed: records not written; -1: none */
	uint64_t site;	    /* the call site's id (has_site) */
	enum log_severity severity;
	int fd;		    /* EVENT_NO_FD: no fd field (close(-1) has one) */
	uint32_t fd_state;  /* fdtab state of fd, for family and type */
	int err;	    /* errno value, 0: none */
	int level, option;
	int given_bt_n;
	int first_bt_n;
	bool addresses;	    /* look up local and peer of fd */
	bool has_option;    /* setsockopt: level and option below */
	bool backtrace;	    /* attach the backtrace of the calling code */
	bool has_site;
	bool unlimited;	    /* a one-off record (config_error, raw_mode...): never
			       rate-limited */
	bool in_handler;    /* made inside a signal handler: frames named from
			       what is known, nothing looked up (event_emit) */
	bool admitted;	    /* event_hold: the rate limiter let it be written */
	uint8_t lang_n;	    /* frames at lang (LANG_FRAMES_MAX at most); in the
			       padding: the struct may sit on a small stack */
};

#define EVENT_NO_FD (-2147483647 - 1)
#define EVENT_INIT(ev_name, sev)                                                       \
	{                                                                              \
		.name = (ev_name), .severity = (sev), .fd = EVENT_NO_FD, .unread = -1, \
		.drained = -1, .ms = -1, .dropped = -1, .count = -1, .backtrace = true \
	}

/* True if events of this level are logged (errors: the hazards; all: also
 * the calls themselves). */
static inline bool event_wanted(const struct config *cfg, enum event_level level)
{
	return cfg->events >= level;
}

/* Builds the record of ev, with the backtrace bt[n] (innermost first), in
 * buf[cap]; rec_end() finishes it.  Split from event_emit so that the unit
 * tests can read what would be written. */
struct record;
void event_build(const struct event *ev, void *const *bt, int n, struct record *r, char *buf,
		 size_t cap);

/* The call site id (backtrace_site's) of frames named by the caller. */
uint64_t event_frames_site(const struct event_frame *f, int n);

/* Writes ev to the log.  An error-level record that is not a one-off goes
 * through the rate limiter (ratelimit.h) first, keyed by its event and
 * call site (which it then carries as "site").  Made in a signal handler
 * nested too deep for a buffer of its own (call.h), it is counted as
 * dropped instead. */
void event_emit(struct event *ev);

/* A record about a call's outcome that is decided before the call and
 * written after it, if the outcome was the record's: a close_rst, whose
 * close resets unless the peer's own reset comes first (the kernel then
 * sends none).  event_hold makes its frames and site and asks the rate
 * limiter, and looks up the socket's addresses into *addr (while it is
 * there) if it is to be written; true: held, event_release must follow in
 * the same call; false: made at once as event_emit makes it (no call
 * buffers).  event_release writes it (happened), or takes it out of the
 * rate limiter's count of records held back (it was not one). */
bool event_hold(struct event *ev, struct event_addresses *addr);
void event_release(struct event *ev, bool happened);
/* A held record given up without a word and without touching the rate
 * limiter's counts (a copy of the holder, forked meanwhile: the holder
 * settles it). */
void event_forget(struct event *ev);

/* At a process's end: a suppressed record for every call site with records
 * still counted but not reported (counts: this process reports the fork
 * tree's, ratelimit_leave), then a log_dropped record for the records lost
 * since the last one written (nothing followed them: they were never told,
 * regress_rate_limit_drop_accounting). */
void event_flush_suppressed(bool counts);

/* At events=all, the record of a call itself (socket, accept, close) on fd
 * of state st; addresses: with local and peer. */
void event_call(const char *name, int fd, uint32_t st, bool addresses);

#endif
