/* Initialisation, once per process image, and the fork handlers.
 *
 * The constructor runs it, but an interposed call can come first (another
 * preloaded library's constructor opening a socket), so every entry point
 * runs it on demand through shim_ready().  It allocates nothing itself and
 * takes no lock: a thread that finds it running passes its call straight
 * through rather than wait. */
#define _GNU_SOURCE
#include "shim.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backtrace.h"
#include "config.h"
#include "event.h"
#include "fdtab.h"
#include "langtrace.h"
#include "libc.h"
#include "linger.h"
#include "log.h"
#include "privfd.h"
#include "proc.h"
#include "ratelimit.h"
#include "raw.h"
#include "sockshim.h"

int shim_init_state = INIT_NONE;

/* Problems found while parsing, reported once the log is open (the log's
 * own destination is one of the variables). */
#define MAX_PROBLEMS 16
static struct problem {
	char name[64];
	char value[256];
	bool has_value;
	const char *reason;
} problems[MAX_PROBLEMS];
static int n_problems;

static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void collect_problem(void *ctx, const char *name, const char *value, const char *reason)
{
	struct problem *p;

	(void)ctx;
	if (n_problems >= MAX_PROBLEMS)
		return;
	p = &problems[n_problems++];
	copy_cut(p->name, sizeof p->name, name);
	p->has_value = value != NULL;
	if (value)
		copy_cut(p->value, sizeof p->value, value);
	p->reason = reason;
}

static void report_problems(void)
{
	for (int i = 0; i < n_problems; i++) {
		struct event ev = EVENT_INIT(SHIM_EV_CONFIG_ERROR, LOG_SEV_ERROR);

		ev.variable = problems[i].name;
		ev.value = problems[i].has_value ? problems[i].value : NULL;
		ev.reason = problems[i].reason;
		ev.backtrace = false; /* it would only show the loader */
		ev.unlimited = true;
		event_emit(&ev);
	}
	n_problems = 0;
}

static void fork_prepare(void)
{
	/* No private copy half-made when the child is made. */
	privfd_before_fork();
	/* The child will hold a copy of every socket: from now on no close
	 * in either process drops the last reference that the shim knows of. */
	fdtab_mark_all_shared();
}

static void fork_parent(void)
{
	privfd_after_fork_parent();
}

static void fork_child(void)
{
	proc_after_fork_child();
	ratelimit_reset(); /* the parent reports what it counted */
	log_forget_dropped();
	privfd_close_in_child(log_owns_slot);
	langtrace_after_fork_child();
	log_after_fork_child();
	linger_after_fork_child();
}

bool shim_init_slow(void)
{
	int expected = INIT_NONE;
	int saved;

	if (!__atomic_compare_exchange_n(&shim_init_state, &expected, INIT_RUNNING, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return expected == INIT_DONE;
	saved = errno;
	libc_bind_all();
	proc_init();
	config_parse(environ, &shim_cfg, collect_problem, NULL);
	{
		const char *why = NULL;

		if (!log_open(&shim_cfg, &why))
			collect_problem(NULL, SHIM_ENV_LOG, getenv(SHIM_ENV_LOG), why);
	}
	if (shim_cfg.events == EVENTS_NONE)
		n_problems = 0;
	else if (shim_cfg.backtrace) {
		backtrace_init();
		langtrace_init();
	}
	report_problems();
	if (shim_cfg.raw == RAW_SECCOMP)
		raw_init();
	else
		raw_note_unseen();
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	__atomic_store_n(&shim_init_state, INIT_DONE, __ATOMIC_RELEASE);
	errno = saved;
	return true;
}

__attribute__((constructor)) static void shim_constructor(void)
{
	shim_ready();
}

/* At exit, sockets still lingering in the background get their time. */
__attribute__((destructor)) static void shim_destructor(void)
{
	if (__atomic_load_n(&shim_init_state, __ATOMIC_ACQUIRE) == INIT_DONE) {
		linger_wait_at_exit();
		if (event_wanted(&shim_cfg, EVENTS_ERRORS))
			event_flush_suppressed();
	}
}
