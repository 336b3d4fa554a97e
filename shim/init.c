/* Initialisation, once per process image, and the fork handlers.
 *
 * The constructor runs it, but an interposed call can come first (another
 * preloaded library's constructor opening a socket), so every entry point
 * runs it on demand through shim_ready().  It allocates nothing itself and
 * takes no lock: a thread that finds it running passes its call straight
 * through rather than wait. */
#define _GNU_SOURCE
#include "shim.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backtrace.h"
#include "close_history.h"
#include "close_path.h"
#include "coldmem.h"
#include "config.h"
#include "event.h"
#include "fdtab.h"
#include "gobinary.h"
#include "langtrace.h"
#include "lastref.h"
#include "libc.h"
#include "linger.h"
#include "log.h"
#include "privfd.h"
#include "proc.h"
#include "ratelimit.h"
#include "sharecount.h"
#include "raw.h"
#include "sockshim.h"
#include "symcache.h"
#include "sys.h"

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

/* SOCKSHIM_LIBRARY is the launcher's (which library to preload).  One that
 * names no file was not preloaded: the launcher's search found this one
 * instead (tools/sockshim says so on stderr too).  A bad value, reported
 * as any other (regress_launcher_bad_library_falls_back); $LIB is the
 * loader's to expand, not checked here, nor a relative path. */
static void check_library_named(void)
{
	const char *want = getenv(SHIM_ENV_LIBRARY);

	/* (a relative one is the launcher's cwd's, not the program's) */
	if (!want || strchr(want, '$') || (*want != '\0' && *want != '/'))
		return;
	if (*want == '\0')
		collect_problem(NULL, SHIM_ENV_LIBRARY, want, "expected the path of a libsockshim.so");
	else if (SYS6(SYS_faccessat, AT_FDCWD, want, R_OK, 0, 0, 0) != 0)
		collect_problem(NULL, SHIM_ENV_LIBRARY, want,
				"no such file: the launcher preloaded the library it found instead");
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

/* events=all: which release runs here, once per process image. */
static void report_start(void)
{
	struct event ev = EVENT_INIT(SHIM_EV_START, LOG_SEV_INFO);

	if (!event_wanted(&shim_cfg, EVENTS_ALL))
		return;
	ev.version = SHIM_VERSION;
	ev.backtrace = false;
	ev.unlimited = true;
	event_emit(&ev);
}

#ifndef UNWIND_SONAME
#define UNWIND_SONAME "libunwind.so.8"
#endif

/* What backtraces lose without libunwind, where it is all there is (x86_64
 * has the shim's own unwinder and never loads it: backtrace_init). */
#define NO_UNWINDER_LOSS "records have no backtrace"

/* libunwind is dlopen()ed, so nothing but this record tells a package
 * installed without it (a 32-bit program without the i386 libunwind8)
 * why backtraces are missing.  The loader's own words are asked for again
 * here rather than kept by backtrace.c: this runs once, and only when the
 * load failed. */
static void report_no_unwinder(void)
{
	struct event ev = EVENT_INIT(SHIM_EV_BACKTRACE_DISABLED, LOG_SEV_ERROR);
	char why[512];
	const char *err;
	void *h = dlopen(UNWIND_SONAME, RTLD_NOW | RTLD_LOCAL);

	err = h ? "it has no unw_backtrace" : dlerror();
	snprintf(why, sizeof why,
		 "libunwind could not be loaded (%s): " NO_UNWINDER_LOSS "; install "
		 "libunwind8 of this program's architecture",
		 err ? err : UNWIND_SONAME);
	if (h)
		dlclose(h);
	ev.reason = why;
	ev.backtrace = false;
	ev.unlimited = true;
	event_emit(&ev);
}

/* (the fork handlers: nothing once the shim has stepped aside, or before
 * it is ready) */
static bool forks_watched(void)
{
	return __atomic_load_n(&shim_init_state, __ATOMIC_ACQUIRE) == INIT_DONE;
}

void shim_fork_prepare(void)
{
	if (!forks_watched())
		return;
	/* (first: its walk of /proc/self/fd makes no copy half-made) */
	close_path_before_fork();
	symcache_before_fork();
	backtrace_before_fork();
	if (event_wanted(&shim_cfg, EVENTS_ERRORS)) {
		close_history_before_fork(); /* (kept only then) */
		if (shim_cfg.rate_n > 0)
			ratelimit_before_fork(); /* one limit for the tree */
	}
	/* No private copy half-made when the child is made. */
	privfd_before_fork();
	/* The child's copies counted (before they are all marked shared). */
	sharecount_fork();
	/* The child will hold a copy of every socket: from now on no close
	 * in either process drops the last reference that the shim knows of
	 * (but for the counts of sharecount.h). */
	fdtab_mark_all_shared();
}

void shim_fork_parent(void)
{
	if (!forks_watched())
		return;
	/* Again: another thread may have made a socket after the prepare
	 * handler marked them (a pthread_atfork handler of the program's
	 * runs after the shim's, and threads run on), and the child holds
	 * it too. */
	fdtab_mark_all_shared();
	privfd_after_fork_parent();
	symcache_after_fork_parent();
}

SHIM_FORK_TEXT void shim_fork_child(void)
{
	if (!forks_watched())
		return;
	/* Every socket of the table is the parent's too, also one another
	 * thread made after the prepare handler had marked them: else the
	 * child's close or exit took it for the last reference, and graceful
	 * close shut down and drained the parent's connection
	 * (regress_fork_window_socket_shared). */
	fdtab_mark_all_shared();
	proc_after_fork_handlers();
	close_history_forked();
	ratelimit_forked(); /* the fork tree's table, counted in */
	log_forget_dropped();
	privfd_close_in_child(log_owns_slot);
	langtrace_after_fork_child();
	log_after_fork_child();
	linger_after_fork_child();
}

/* Whether this process is the launcher's shell (tools/sockshim, a /bin/sh
 * script) started with the library already in LD_PRELOAD (a unit's
 * drop-in, a nested launcher).  The script runs itself again at once
 * without it; until then its shell is not the program, and wrote a
 * config_error of a bad variable, and a start at events=all, besides the
 * program's own (regress_launcher_not_shimmed_itself).  Only a shell asks
 * /proc/self/cmdline (argv[1]: the script). */
static bool launcher_shell(void)
{
	const char *me = program_invocation_short_name;
	char buf[512], *script, *base;
	ssize_t n;
	int fd;

	if (strcmp(me, "sh") != 0 && strcmp(me, "dash") != 0 && strcmp(me, "bash") != 0)
		return false;
	fd = sys_openat(AT_FDCWD, "/proc/self/cmdline", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return false;
	n = sys_read(fd, buf, sizeof buf - 1);
	sys_close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	script = memchr(buf, '\0', (size_t)n); /* past argv[0] */
	if (!script || script + 1 >= buf + n)
		return false;
	script++;
	base = strrchr(script, '/');
	return strcmp(base ? base + 1 : script, "sockshim") == 0;
}

bool shim_init_slow(void)
{
	int expected = INIT_NONE;
	int saved;

	/* Not in a vfork child, which runs on its parent's memory with a
	 * descriptor table of its own: the state made there would be the
	 * parent's, with the child's pid in every record it writes after
	 * (a library constructor that vforks before the shim's has run,
	 * regress_init_not_in_vfork_child).  The child's calls pass through
	 * as any vfork child's do; the parent initialises at its next. */
	if (vfork_in_child)
		return false;
	/* Loaded into the supervisor itself (LD_PRELOAD set for a command
	 * that runs sockshim --supervise), which does this work from outside
	 * for the processes it watches: here the library would only watch
	 * the supervisor's own sockets, and write false records of them
	 * (regress_supervise_with_preload).  It steps aside, as in a sandbox. */
	if (strcmp(program_invocation_short_name, "sockshim-supervise") == 0 || launcher_shell())
		shim_enter_sandbox();
	if (!__atomic_compare_exchange_n(&shim_init_state, &expected, INIT_RUNNING, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return expected == INIT_DONE;
	saved = errno;
	libc_bind_all();
	proc_init();
	config_parse(environ, &shim_cfg, collect_problem, NULL);
	check_library_named();
	/* At events=none nothing is ever written (not even a config_error):
	 * no log, so no descriptor of the shim's in the program (a forking
	 * server's every fork copied a table that reached it) */
	if (shim_cfg.events != EVENTS_NONE) {
		const char *why = NULL;

		if (!log_open(&shim_cfg, &why))
			collect_problem(NULL, SHIM_ENV_LOG, getenv(SHIM_ENV_LOG), why);
	}
	report_start();
	sharecount_init();
	if (event_wanted(&shim_cfg, EVENTS_ERRORS))
		lastref_init(); /* only close_rst records need it */
	if (shim_cfg.events == EVENTS_NONE)
		n_problems = 0;
	else if (shim_cfg.backtrace) {
		if (!backtrace_init())
			report_no_unwinder();
		langtrace_init();
	} else if (shim_cfg.rate_n > 0) {
		backtrace_init(); /* the sites of the rate limit (call_site_frames) */
	}
	report_problems();
	if (shim_cfg.raw == RAW_SECCOMP)
		raw_init();
	else
		raw_note_unseen();
	/* Nothing of the shim's to keep right across a fork when it tracks
	 * nothing; raw mode's handler still asks which process owns its
	 * state. */
	if (!shim_cfg.closes_untracked || shim_cfg.raw == RAW_SECCOMP)
		pthread_atfork(shim_fork_prepare, shim_fork_parent, shim_fork_child);
	{
		int running = INIT_RUNNING;
		bool done = __atomic_compare_exchange_n(&shim_init_state, &running, INIT_DONE,
							false, __ATOMIC_RELEASE, __ATOMIC_RELAXED);

		if (done) {
			close_path_at_start();
			/* A Go program's net package makes its sockets
			 * without libc (unless raw mode catches them): the
			 * walks at fork and exit look for them as before */
			if (shim_cfg.raw != RAW_SECCOMP && gobinary_is_go())
				fdtab_unseen_possible();
		}
		errno = saved;
		return done;
	}
}

__attribute__((constructor)) static void shim_constructor(void)
{
	shim_ready();
}

/* At exit, TCP sockets left open get the checks and graceful close of
 * their close (close_path_at_exit), and sockets still lingering in the
 * background get their time. */
/* A process's end is done once (proc_ending, proc.h).  A signal handler
 * calling _exit() in the middle of exit()'s own (a SIGTERM handler while
 * the exit lingers), or another thread's _exit() meanwhile, must not end
 * the same sockets again: a second record of each, a second release of
 * their fork tree's count (another holder's close then taken for the
 * last).  It ends the process at once, as it would bare. */
void shim_enter_sandbox(void)
{
	/* (also before the shim was ready: it never will be; an
	 * initialisation running meanwhile does not finish it, below) */
	__atomic_store_n(&shim_init_state, INIT_SANDBOXED, __ATOMIC_RELEASE);
}

/* Whether the shim has a process's state to keep right at its exec or its
 * end (not before it was ready, nor in a vfork child, which shares the
 * parent's memory, nor where it tracks nothing). */
static bool keeps_state(void)
{
	return __atomic_load_n(&shim_init_state, __ATOMIC_ACQUIRE) == INIT_DONE &&
	       !vfork_in_child && !shim_cfg.closes_untracked;
}

SHIM_FORK_TEXT void shim_process_ends(bool by_exit)
{
	pid_t me;

	if (!keeps_state()) /* (no socket, no linger, no record) */
		return;
	me = (pid_t)sys_getpid();
	if (__atomic_exchange_n(&proc_ending, me, __ATOMIC_ACQ_REL) == me)
		return;
	/* The sockets this process leaves open end with it, unless its
	 * descriptors are another's too: a child of clone(CLONE_FILES) (it
	 * is not the process the shim's memory holds the state of) wrote a
	 * false close_rst for each socket its parent still had
	 * (regress_clone_files_child_exit) */
	if (me == proc_owner_pid)
		close_path_at_exit(by_exit);
	linger_wait_at_exit();
	if (event_wanted(&shim_cfg, EVENTS_ERRORS))
		event_flush_suppressed(ratelimit_leave());
	log_process_ends();
}

void shim_forked_into(unsigned long long flags)
{
	if (!forks_watched())
		return;
	if (flags & CLONE_NEWPID)
		ratelimit_elsewhere();
	if (flags & CLONE_NEWNET)
		lastref_net_elsewhere();
}

void shim_fork_done(long ret, unsigned long long flags)
{
	int saved = errno;

	if (ret == 0) {
		shim_fork_child();
		shim_forked_into(flags);
	} else {
		shim_fork_parent();
	}
	errno = saved;
}

void shim_before_exec(void)
{
	int saved = errno;

	if (keeps_state()) {
		sharecount_exec();
		linger_wait_at_exit();
		if (event_wanted(&shim_cfg, EVENTS_ERRORS))
			event_flush_suppressed(ratelimit_leave());
	}
	log_before_exec(); /* (after the last record this image writes) */
	errno = saved;
}

void shim_exec_failed(void)
{
	int saved = errno;

	log_exec_failed();
	if (keeps_state() && event_wanted(&shim_cfg, EVENTS_ERRORS))
		ratelimit_rejoin();
	errno = saved;
}

SHIM_FORK_TEXT __attribute__((destructor)) static void shim_destructor(void)
{
	shim_process_ends(true);
}

/* The library's DT_FINI (-Wl,-fini=shim_fini: the Makefile), which the
 * loader calls in every process that ends by exit(): a forking server's
 * every child.  crti's _fini lies in .fini, after the whole of .text, in a
 * 64 KiB window of code the child touches for nothing else: one page
 * fault more in each child (perf record -e page-faults: "_fini", once per
 * connection of the forking server).  Nothing to do: the destructors are
 * .fini_array's (shim_destructor). */
void shim_fini(void);
SHIM_FORK_TEXT void shim_fini(void)
{
}
