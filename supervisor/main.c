/* sockshim-supervise [--] PROG ARGS: runs PROG under the supervisor.
 *
 * Its life: the program is forked and exec'd with the filter installed;
 * this process becomes a child subreaper, so that every descendant the
 * program leaves behind is still its to wait for; it exits when the last
 * supervised process has, with the program's own exit status (or its
 * death by the same signal).  SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,
 * SIGUSR2 and SIGWINCH sent to it are passed to the program (not those the
 * terminal sends to the whole process group: the program has them
 * already).  If the supervisor itself is killed (SIGKILL), the program is
 * killed too (PR_SET_PDEATHSIG): without the supervisor every trapped call
 * of it would fail with ENOSYS.  Processes the program forked keep running
 * with that failure; see the README. */
#define _GNU_SOURCE
#include "supervisor.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "event.h"
#include "log.h"
#include "proc.h"
#include "sockshim.h"

static const char *me = "sockshim";

static void watch(struct sv_proc *p);

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", me);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* Problems of the variables, reported once the log is open. */
#define MAX_PROBLEMS 16
static struct {
	char name[64], value[256];
	bool has_value;
	const char *reason;
} problems[MAX_PROBLEMS];
static int n_problems;

static void collect_problem(void *ctx, const char *name, const char *value, const char *reason)
{
	(void)ctx;
	if (n_problems >= MAX_PROBLEMS)
		return;
	snprintf(problems[n_problems].name, sizeof problems[0].name, "%s", name);
	problems[n_problems].has_value = value != NULL;
	if (value)
		snprintf(problems[n_problems].value, sizeof problems[0].value, "%s", value);
	problems[n_problems].reason = reason;
	n_problems++;
}

static void own_record(const char *name, enum log_severity sev, const char *variable,
		       const char *value, const char *reason)
{
	struct event ev = EVENT_INIT(name, sev);

	ev.variable = variable;
	ev.value = value;
	ev.reason = reason;
	ev.backtrace = false;
	ev.unlimited = true;
	event_emit(&ev);
}

/* The program's path as execvp will find it (PATH searched for a name
 * without a slash), or NULL. */
static char *find_program(const char *prog)
{
	const char *path = getenv("PATH");
	static char buf[4096];

	if (strchr(prog, '/'))
		return access(prog, F_OK) == 0 ? (char *)prog : NULL;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		snprintf(buf, sizeof buf, "%.*s%s%s", (int)n, path, n ? "/" : "", prog);
		if (access(buf, X_OK) == 0)
			return buf;
		path += n;
		if (*path == ':')
			path++;
	}
	return NULL;
}

/* The child's listener: its number arrives as "N<fd>" (" K" after it:
 * loaded with SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) and is taken with
 * pidfd_getfd; anything else is the child's failure ("E<errno> <what>"),
 * left in msg. */
static int receive_listener(int sock, pid_t child, char *msg, size_t msg_size)
{
	ssize_t n = read(sock, msg, msg_size - 1);
	int pidfd, fd;

	if (n <= 0) {
		msg[0] = '\0';
		return -1;
	}
	msg[n] = '\0';
	if (msg[0] != 'N')
		return -1;
	pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (pidfd < 0) {
		snprintf(msg, msg_size, "E%d pidfd_open", errno);
		return -1;
	}
	fd = (int)syscall(SYS_pidfd_getfd, pidfd, atoi(msg + 1), 0);
	if (fd < 0)
		snprintf(msg, msg_size, "E%d pidfd_getfd", errno);
	close(pidfd);
	return fd;
}

/* Linux 6.6: the listener's wake-ups stay on the CPU of the one who
 * wakes (the trapped thread wakes the supervisor where it ran, and the
 * supervisor's answer wakes the thread where the supervisor runs): a
 * trapped call is a hand-off between two parties of which one always
 * waits, and a wake-up across CPUs costs a VM most of the call.  Not in
 * Debian 12's headers. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#include <linux/seccomp.h>
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* Asks for those wake-ups while one thread of one process is under the
 * filter, and not while there are more: processes or threads that talk to
 * each other (a forking server and its children, a client and its server,
 * a threaded server's acceptor and workers) lose the second CPU when each
 * trapped call brings its thread to the supervisor's (supervised forking
 * server, 7 interleaved rounds: 2.85x bare without, 3.12x with; bench
 * churn, a client and a server thread, at backtrace=0, 5 rounds: 1.58x
 * without, 1.80x with).  An older kernel (EINVAL) keeps its own wake-ups
 * either way. */
static void listener_sync_wake_up(int nfd)
{
	static int on = -1;
	int want = sv_proc_one_thread();

	if (want == on)
		return;
	on = want;
	(void)ioctl(nfd, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
		    want ? (unsigned long)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP : 0UL);
}

/* "E<errno> <what>" from the child: the reason it did not start. */
static void __attribute__((noreturn)) child_failed(const char *msg, const char *prog)
{
	int err = 0;
	char what[256] = "";

	if (sscanf(msg, "E%d %255[^\n]", &err, what) < 1)
		die("%s: the program could not be started", prog);
	if (!strcmp(what, "seccomp_load") && err == EBUSY)
		die("%s: already under a seccomp user-notification listener (an outer sockshim "
		    "--supervise, or a container's seccomp agent), and the kernel gives a process "
		    "one at most; an outer sockshim --supervise watches this program already",
		    prog);
	if (!strcmp(what, "seccomp_load") || !strcmp(what, "seccomp_notify_fd"))
		die("%s: this kernel refuses the supervisor's seccomp filter (%s: %s); "
		    "it needs seccomp user notification (Linux 5.5)",
		    prog, what, strerror(err));
	die("%s: %s", what[0] ? what : prog, strerror(err));
}

/* Whether pid is one of the processes the supervisor watches: its
 * descendants (an orphan among them is its child again, as their
 * subreaper). */
static bool supervised(pid_t pid)
{
	pid_t self = getpid();

	for (int depth = 0; pid > 1 && depth < 64; depth++) {
		pid = sv_parent_of(pid);
		if (pid == self)
			return true;
	}
	return false;
}

/* After the program has exited: sig to the processes it left behind, now
 * the supervisor's children (it is their subreaper: a daemon that forked
 * and detached, with its own session, which neither the program's group
 * nor the terminal reaches).  Each passes it on to its own, as it would
 * have had it from an init. */
static void to_left_behind(int sig)
{
	char path[64], buf[4096];
	long pid = 0;
	bool digits = false;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* "PID PID ... ": read to the end (hundreds of children fill more
	 * than a buffer), each number taken whole, ended by its separator
	 * (a number cut at a read's end is another pid: found by a review) */
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] >= '0' && buf[i] <= '9') {
				if (pid < 100000000)
					pid = pid * 10 + (buf[i] - '0');
				digits = true;
				continue;
			}
			if (digits && pid > 0)
				kill((pid_t)pid, sig);
			pid = 0;
			digits = false;
		}
	}
	close(fd);
}

/* The loop's epoll set, where each new process's pidfd goes (watch). */
static int loop_ep = -1;

/* Passed on: the operator's signals, and every other one whose default
 * would end the supervisor, and the program with it (PR_SET_PDEATHSIG),
 * where bare the program's handler would run (a SIGALRM, a SIGPWR, a
 * real-time signal: regress_supervise_signals_handled); the real-time
 * ones are added where the mask is made (SIGRTMIN is not a constant).
 * Not the faults (SIGSEGV, SIGBUS...: the supervisor's own); the stop
 * signals are passed on apart (stopping, below). */
static int forwarded[] = {SIGTERM,  SIGINT,  SIGHUP, SIGQUIT, SIGUSR1,   SIGUSR2,
			  SIGWINCH, SIGALRM, SIGVTALRM, SIGPROF, SIGPWR, SIGIO,
			  SIGSTKFLT, SIGXCPU, SIGXFSZ};

/* The stop signals are passed on too (haproxy's SIGTTOU and SIGTTIN: a
 * supervisor that stopped alone left the program's trapped calls without
 * an answer), and the supervisor stops only once the program has (its
 * parent, a shell's job control, sees the stop as bare); a SIGCONT goes
 * on to the program if it is still stopped (one to the whole group has
 * reached it already): regress_supervise_stop_signals. */
static const int stopping[] = {SIGTSTP, SIGTTIN, SIGTTOU};

static bool is_stopping(int sig)
{
	for (size_t i = 0; i < sizeof stopping / sizeof stopping[0]; i++)
		if (stopping[i] == sig)
			return true;
	return false;
}

/* How long after a stop signal a stop of the program stops the supervisor
 * too (main's stop_wanted): a handler's own work before it stops, with
 * room. */
#define STOP_WISH_MS 5000

/* Whether pid is stopped (not traced: a debugger's stop is its own). */
static bool stopped(pid_t pid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* (the name may hold anything) */
	return p && p[1] == ' ' && p[2] == 'T';
}

/* The supervisor stops as the program did: sig's default action (SIGSTOP
 * itself for a SIGSTOP), then blocked again once continued. */
static void stop_as(int sig)
{
	sigset_t one;

	if (!is_stopping(sig)) {
		kill(getpid(), SIGSTOP);
		return;
	}
	sigemptyset(&one);
	sigaddset(&one, sig);
	raise(sig); /* (pending on this thread, then delivered at the unblock) */
	pthread_sigmask(SIG_UNBLOCK, &one, NULL);
	pthread_sigmask(SIG_BLOCK, &one, NULL);
}

/* The library in LD_PRELOAD (a unit's drop-in that preloads it, and a
 * command that runs the supervisor): taken out of what the program
 * inherits, as the supervisor does its work for every process it watches;
 * both would write every record twice (regress_supervise_with_preload).
 * Other preloaded libraries stay, in their order. */
static void without_library_preloaded(void)
{
	const char *old = getenv("LD_PRELOAD");
	char keep[4096];
	size_t n = 0;

	if (!old || strlen(old) >= sizeof keep)
		return;
	for (const char *p = old; *p;) {
		size_t len = strcspn(p, ": ");
		const char *base = p;

		for (size_t i = 0; i < len; i++)
			if (p[i] == '/')
				base = p + i + 1;
		if (len > 0 && strncmp(base, "libsockshim", 11) != 0) {
			if (n)
				keep[n++] = ':';
			memcpy(keep + n, p, len);
			n += len;
		}
		p += len;
		p += strspn(p, ": ");
	}
	keep[n] = '\0';
	if (n)
		setenv("LD_PRELOAD", keep, 1);
	else
		unsetenv("LD_PRELOAD");
}

/* ---- receiving the program's calls ---------------------------------- */

/* A trapped call is received the moment it comes: until it is, a signal
 * ends its wait (the kernel takes the call back: EINTR, with a handler
 * without SA_RESTART, for a close that then never ran, or an exit_group,
 * after which glibc's _exit ends only the calling thread, and a threaded
 * program never ends); once it is, only a fatal one does (load_filter in
 * child.c).  One thread that received and then handled each call in turn
 * left every call that came meanwhile open to signals for as long as it
 * was busy: exit hung in 9 of 16 runs of a program whose four threads
 * closed without end under a 100 µs timer (a review's); 3 of 16 now,
 * where the program keeps both CPUs busy and a receiver waits its turn.
 *
 * So RECEIVERS threads wait in the listener's receive.  The one that
 * gets a call handles it at once if nothing else is being handled (the
 * common case: no hand-off, no more context switches than before);
 * otherwise it queues the call and goes back to receive, and whoever
 * handles (a receiver, or the main loop with its own events) handles the
 * queue too before it lets go of loop_lock, and looks again after
 * (loop_unlock): no call is left in the queue.  Everything is handled
 * under loop_lock, one thing at a time, as before. */
#define RECEIVERS 2
#define QUEUED_MAX 256

static pthread_mutex_t loop_lock = PTHREAD_MUTEX_INITIALIZER;
/* The calls received and not handled: a ring of buffers; free ones in
 * spare.  Under queue_lock. */
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static struct seccomp_notif *queued[QUEUED_MAX], *spare[QUEUED_MAX];
static int n_queued, queue_head, n_spare;
/* The main loop's wake-up (an eventfd in its epoll): a call handled may
 * have set a lingering's or an after-close's deadline before the one the
 * loop sleeps till (kick_if_sooner).  Under loop_lock.  wake_fd: a
 * timerfd in the same epoll, for a deadline further off (kick_if_sooner). */
static int kick_fd = -1, wake_fd = -1;
static int64_t planned_wake_ms = INT64_MAX;
/* Set while the main loop waits for loop_lock with its own events (a
 * signal to pass on, an exit, a lingering's deadline): the receivers then
 * queue, and a drain stops, so that a stream of calls does not keep it
 * waiting (up to 737 ms under 8 threads closing without end, a review's
 * measure); it drains the queue itself before it sleeps again. */
static int main_waiting;
/* The kernel's size of a call (SECCOMP_GET_NOTIF_SIZES): what a receive
 * wants cleared. */
static size_t notif_size;

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The loop's next deadline, in ms from now (-1: none). */
static int next_timeout_ms(void)
{
	int t = sv_linger_timeout_ms(), ta = sv_after_timeout_ms();

	return t < 0 || (ta >= 0 && ta < t) ? ta : t;
}

/* Wakes the main loop (its eventfd): a deadline sooner than the one it
 * sleeps till, or a queue it drains the rest of. */
static void kick(void)
{
	uint64_t one = 1;

	(void)!write(kick_fd, &one, sizeof one);
}

/* A deadline a millisecond or more off (a lingering's, SOCKSHIM_LINGER_MS
 * away) is the timerfd's to wake the loop at, not a kick: a kick woke the
 * main loop at once only to sleep again till then, which under graceful
 * close is nearly every close of a server (2898 kicks in 3000 connections
 * of the Go churn), a context switch and a turn of loop_lock each while
 * the program's next calls came.  The wake is the one the loop would have
 * planned itself (at planned_wake_ms, past the deadline: next_timeout_ms
 * rounds up); a sooner one (an after-close's 1 ms, a lingering with
 * SOCKSHIM_LINGER_MS=0) still kicks. */
static void kick_if_sooner(void)
{
	int t = next_timeout_ms();

	if (t >= 0 && mono_ms() + t < planned_wake_ms) {
		struct itimerspec at = {{0, 0}, {0, 0}};

		planned_wake_ms = mono_ms() + t;
		at.it_value.tv_sec = planned_wake_ms / 1000;
		at.it_value.tv_nsec = planned_wake_ms % 1000 * 1000000;
		if (t <= 1 || timerfd_settime(wake_fd, TFD_TIMER_ABSTIME, &at, NULL) != 0)
			kick();
	}
}

static struct seccomp_notif *buffer_take(void)
{
	struct seccomp_notif *r = NULL;

	pthread_mutex_lock(&queue_lock);
	if (n_spare > 0)
		r = spare[--n_spare];
	pthread_mutex_unlock(&queue_lock);
	return r;
}

static void buffer_give(struct seccomp_notif *r)
{
	pthread_mutex_lock(&queue_lock);
	spare[n_spare++] = r;
	pthread_mutex_unlock(&queue_lock);
}

static void queue_push(struct seccomp_notif *r)
{
	pthread_mutex_lock(&queue_lock);
	queued[(queue_head + n_queued++) % QUEUED_MAX] = r;
	pthread_mutex_unlock(&queue_lock);
}

static struct seccomp_notif *queue_pop(void)
{
	struct seccomp_notif *r = NULL;

	pthread_mutex_lock(&queue_lock);
	if (n_queued > 0) {
		r = queued[queue_head];
		queue_head = (queue_head + 1) % QUEUED_MAX;
		n_queued--;
	}
	pthread_mutex_unlock(&queue_lock);
	return r;
}

static bool queue_empty(void)
{
	bool empty;

	pthread_mutex_lock(&queue_lock);
	empty = n_queued == 0;
	pthread_mutex_unlock(&queue_lock);
	return empty;
}

static void handle_call(int nfd, struct seccomp_notif *r)
{
	sv_handle(nfd, r);
	listener_sync_wake_up(nfd);
}

/* Lets go of loop_lock, the queue handled first (but for what the main
 * loop, waiting for the lock, handles in its own turn); and takes it again
 * to handle what was queued meanwhile by a receiver that found it held. */
static void loop_unlock(int nfd, bool main_loop)
{
	for (;;) {
		struct seccomp_notif *r;
		int handled = 0;

		/* (the main loop a batch at a time, between its own events) */
		while (!__atomic_load_n(&main_waiting, __ATOMIC_ACQUIRE) &&
		       (!main_loop || handled < QUEUED_MAX / 4) && (r = queue_pop()) != NULL) {
			handle_call(nfd, r);
			buffer_give(r);
			handled++;
		}
		kick_if_sooner();
		pthread_mutex_unlock(&loop_lock);
		if (queue_empty())
			return;
		if (main_loop) { /* it comes back at once for the rest */
			kick();
			return;
		}
		if (__atomic_load_n(&main_waiting, __ATOMIC_ACQUIRE) ||
		    pthread_mutex_trylock(&loop_lock) != 0)
			return;
	}
}

static void *receive_calls(void *arg)
{
	int nfd = (int)(intptr_t)arg;

	for (;;) {
		struct seccomp_notif *r = buffer_take();

		if (!r) { /* the queue is full: this one handles it */
			if (__atomic_load_n(&main_waiting, __ATOMIC_ACQUIRE)) {
				usleep(200); /* (the main loop's turn first) */
				continue;
			}
			pthread_mutex_lock(&loop_lock);
			loop_unlock(nfd, false);
			continue;
		}
		memset(r, 0, notif_size);
		if (seccomp_notify_receive(nfd, r) != 0) {
			/* ENOENT: the caller is gone, or so is every process
			 * under the filter (the main loop sees that too) */
			int err = errno;
			struct pollfd pf = {nfd, 0, 0};

			buffer_give(r);
			if (poll(&pf, 1, 0) == 1 && (pf.revents & (POLLHUP | POLLERR)))
				return NULL;
			if (err != ENOENT && err != EINTR)
				usleep(1000); /* (not a spin on an error never seen) */
			continue;
		}
		if (!__atomic_load_n(&main_waiting, __ATOMIC_ACQUIRE) &&
		    pthread_mutex_trylock(&loop_lock) == 0) {
			handle_call(nfd, r);
			buffer_give(r);
			loop_unlock(nfd, false);
		} else {
			queue_push(r);
			/* (its holder may have let go before the push; the main
			 * loop, if it waits, drains the queue itself) */
			if (!__atomic_load_n(&main_waiting, __ATOMIC_ACQUIRE) &&
			    pthread_mutex_trylock(&loop_lock) == 0)
				loop_unlock(nfd, false);
		}
	}
}

/* The receivers, with their buffers (the kernel's size of a call). */
static void receivers_start(int nfd)
{
	struct seccomp_notif_sizes sizes = {0};

	notif_size = sizeof(struct seccomp_notif);
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0 &&
	    sizes.seccomp_notif > notif_size)
		notif_size = sizes.seccomp_notif;
	for (int i = 0; i < QUEUED_MAX; i++) {
		struct seccomp_notif_resp *resp;

		if (seccomp_notify_alloc(&spare[n_spare], &resp) != 0)
			die("seccomp_notify_alloc: out of memory");
		seccomp_notify_free(NULL, resp);
		n_spare++;
	}
	for (int i = 0; i < RECEIVERS; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, receive_calls, (void *)(intptr_t)nfd) != 0)
			die("pthread_create: %s", strerror(errno));
		pthread_detach(t);
	}
}

int main(int argc, char **argv)
{
	char **prog_argv;
	const char *path;
	struct stat st;
	struct sv_traps traps = {0};
	bool nnp;
	int sv[2], nfd, ep, sfd, status = 0, msg_sock;
	pid_t child;
	sigset_t mask, inherited_mask;
	bool child_done = false, listener_hup = false;
	/* A stop signal came (its number, and when): the supervisor stops when
	 * the program stops, of it or of another (a handler that raises
	 * SIGSTOP, as top's does; a second stop signal), or at once if the
	 * program was stopped already; but only within STOP_WISH_MS.  A
	 * program that handled it without stopping (haproxy's SIGTTOU) and
	 * stopped later for another reason (an operator's SIGSTOP, a debugger)
	 * must not stop the supervisor, which nothing would continue when the
	 * program alone is: its next trapped call would wait for ever
	 * (regress_supervise_handled_stop_no_freeze). */
	int stop_wanted = 0;
	int64_t stop_wanted_at = 0;
	char msg[256];

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: sockshim-supervise [--] program [args...]\n"
		       "Runs the program under the sockshim supervisor (seccomp user notification,\n"
		       "pidfd_getfd): the SOCKSHIM_* variables, events and cures of libsockshim.so,\n"
		       "with no code inside the program.  Normally started by `sockshim --supervise`.\n");
		return 0;
	}
	/* the launcher's question (a minimal install has no getcap): 0 if yes */
	if (argc == 3 && !strcmp(argv[1], "--file-caps"))
		return sv_file_caps(argv[2]) ? 0 : 1;
	prog_argv = argv + 1;
	if (*prog_argv && !strcmp(*prog_argv, "--"))
		prog_argv++;
	if (!*prog_argv)
		die("usage: sockshim-supervise [--] program [args...]");

	/* Nothing runs half-way: every refusal comes before the fork. */
	path = find_program(prog_argv[0]);
	if (!path || stat(path, &st) != 0)
		die("%s: no such program", prog_argv[0]);
	if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0)
		die("%s: not executable", prog_argv[0]);
	if (st.st_mode & (S_ISUID | S_ISGID))
		die("%s is setuid/setgid: under the supervisor's filter (no_new_privs) it would run "
		    "without its privileges, so sockshim does not run it", path);
	if (geteuid() != 0 && sv_file_caps(path))
		die("%s has file capabilities (setcap): run by a user other than root, under the "
		    "supervisor's filter (no_new_privs) it would run without them, so sockshim does "
		    "not run it (as root it can)", path);
	if (syscall(SYS_pidfd_getfd, -1, 0, 0) < 0 && errno == ENOSYS)
		die("this kernel has no pidfd_getfd (Linux 5.6 or later is needed for "
		    "--supervise): %s was not started", prog_argv[0]);
	if (syscall(SYS_pidfd_open, getpid(), 0) < 0 && errno == ENOSYS)
		die("this kernel has no pidfd_open (Linux 5.3 or later is needed for "
		    "--supervise): %s was not started", prog_argv[0]);

	sv_proc_watch = watch;
	proc_init();
	{
		const char *base = strrchr(prog_argv[0], '/');

		snprintf(proc_prog, sizeof proc_prog, "%s", base ? base + 1 : prog_argv[0]);
	}
	config_parse(environ, &shim_cfg, collect_problem, NULL);
	without_library_preloaded();
	traps.reuse = shim_cfg.reuseaddr || shim_cfg.reuseport;
	traps.setsockopt = traps.reuse;
	traps.shutdown = event_wanted(&shim_cfg, EVENTS_ERRORS);
	traps.sharing = shim_cfg.graceful != GRACEFUL_OFF || event_wanted(&shim_cfg, EVENTS_ERRORS);
	traps.passing = traps.sharing;
	traps.lingering = shim_cfg.graceful != GRACEFUL_OFF;
	/* Without CAP_SYS_ADMIN the kernel wants no_new_privs for a filter. */
	nnp = geteuid() != 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&mask, forwarded[i]);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		sigaddset(&mask, sig);
	for (size_t i = 0; i < sizeof stopping / sizeof stopping[0]; i++)
		sigaddset(&mask, stopping[i]);
	sigaddset(&mask, SIGCONT);
	if (sigprocmask(SIG_BLOCK, &mask, &inherited_mask) != 0)
		die("sigprocmask: %s", strerror(errno));
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		die("socketpair: %s", strerror(errno));
	child = fork();
	if (child < 0)
		die("fork: %s", strerror(errno));
	if (child == 0) {
		close(sv[0]);
		sv_child_run(sv[1], prog_argv, &traps, nnp, &inherited_mask);
	}
	close(sv[1]);
	sv_fds_raise(); /* (the program, forked, keeps its own limit) */
	msg_sock = sv[0];
	signal(SIGPIPE, SIG_IGN);
	nfd = receive_listener(msg_sock, child, msg, sizeof msg);
	if (nfd < 0) {
		waitpid(child, NULL, 0);
		child_failed(msg, prog_argv[0]);
	}
	listener_sync_wake_up(nfd);

	/* The log: %p in a path is the program's pid (all its processes'
	 * records go to that one file, each with its own pid). */
	proc_pid = child;
	{
		const char *why = NULL;

		if (!log_open(&shim_cfg, &why))
			collect_problem(NULL, SHIM_ENV_LOG, getenv(SHIM_ENV_LOG), why);
	}
	if (event_wanted(&shim_cfg, EVENTS_ERRORS)) {
		char text[4096 + 512];

		for (int i = 0; i < n_problems; i++)
			own_record(SHIM_EV_CONFIG_ERROR, LOG_SEV_ERROR, problems[i].name,
				   problems[i].has_value ? problems[i].value : NULL,
				   problems[i].reason);
		snprintf(text, sizeof text,
			 "enabled: the socket calls of %s and its descendants are trapped "
			 "(seccomp user notification) and handled by process %d%s%s",
			 path, (int)getpid(),
			 nnp ? "; no_new_privs set (not root): setuid programs exec'd from it run "
			       "without their privileges" : "",
			 strstr(msg, " K") ? "" :
			 "; a signal ends a trapped call's wait (Linux before 5.19): with a handler "
			 "without SA_RESTART the call fails with EINTR, with one the supervisor may "
			 "act on it twice");
		own_record(SHIM_EV_SUPERVISED, LOG_SEV_INFO, NULL, NULL, text);
	}

	ep = epoll_create1(EPOLL_CLOEXEC);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (ep < 0 || sfd < 0)
		die("epoll/signalfd: %s", strerror(errno));
	sv_linger_init(ep);
	loop_ep = ep;
	{
		struct epoll_event e = {.events = EPOLLIN};

		/* the listener's end alone (receive_calls takes the calls) */
		e.events = 0;
		e.data.u64 = (uint64_t)SV_TAG_NOTIFY << 32;
		epoll_ctl(ep, EPOLL_CTL_ADD, nfd, &e);
		e.events = EPOLLIN;
		kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (kick_fd < 0)
			die("eventfd: %s", strerror(errno));
		e.data.u64 = (uint64_t)SV_TAG_KICK << 32 | (uint32_t)kick_fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, kick_fd, &e);
		/* (none: every deadline kicks, as before) */
		wake_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		e.data.u64 = (uint64_t)SV_TAG_KICK << 32 | (uint32_t)wake_fd;
		if (wake_fd >= 0)
			epoll_ctl(ep, EPOLL_CTL_ADD, wake_fd, &e);
		e.data.u64 = (uint64_t)SV_TAG_SIGNAL << 32;
		epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &e);
		e.data.u64 = (uint64_t)SV_TAG_MSG << 32;
		epoll_ctl(ep, EPOLL_CTL_ADD, msg_sock, &e);
	}
	/* (with the forwarded signals blocked, as here: the signalfd has
	 * them) */
	pthread_mutex_lock(&loop_lock);
	receivers_start(nfd);
	/* the go-ahead: the child execs */
	if (write(msg_sock, "g", 1) != 1)
		die("the program's process is gone before its exec");

	for (;;) {
		struct epoll_event evs[64];
		int t = next_timeout_ms(), n;

		planned_wake_ms = t < 0 ? INT64_MAX : mono_ms() + t;
		loop_unlock(nfd, true);
		n = epoll_wait(ep, evs, 64, t);
		__atomic_store_n(&main_waiting, 1, __ATOMIC_RELEASE);
		pthread_mutex_lock(&loop_lock);
		__atomic_store_n(&main_waiting, 0, __ATOMIC_RELEASE);
		if (n < 0 && errno != EINTR)
			die("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++) {
			uint32_t tag = (uint32_t)(evs[i].data.u64 >> 32);
			uint32_t low = (uint32_t)evs[i].data.u64;

			if (tag == SV_TAG_NOTIFY) {
				if (evs[i].events & (EPOLLHUP | EPOLLERR)) {
					/* no process under the filter is left */
					epoll_ctl(ep, EPOLL_CTL_DEL, nfd, NULL);
					listener_hup = true;
				}
			} else if (tag == SV_TAG_KICK) { /* (the eventfd, or the timerfd) */
				uint64_t v;

				(void)!read((int)low, &v, sizeof v);
			} else if (tag == SV_TAG_LINGER) {
				sv_linger_event(low);
			} else if (tag == SV_TAG_MSG) {
				ssize_t got = read(msg_sock, msg, sizeof msg - 1);

				if (got > 0) { /* the exec failed */
					msg[got] = '\0';
					child_failed(msg, prog_argv[0]);
				}
				epoll_ctl(ep, EPOLL_CTL_DEL, msg_sock, NULL);
				close(msg_sock); /* EOF: the exec succeeded */
			} else if (tag == SV_TAG_PIDFD) {
				struct sv_proc *p = sv_proc_by_pidfd((int)low);

				epoll_ctl(ep, EPOLL_CTL_DEL, (int)low, NULL);
				if (p) {
					sv_proc_gone(p);
					listener_sync_wake_up(nfd);
				}
			} else if (tag == SV_TAG_SIGNAL) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof si) == sizeof si) {
					if (si.ssi_signo == SIGCHLD)
						continue;
					/* One the program (or a process it made)
					 * sent its parent, the supervisor (a
					 * "ready" signal: kill(getppid(),
					 * SIGUSR1)), is not passed back to it:
					 * it died of its own signal
					 * (regress_supervise_signal_from_program).
					 * Nor is it passed up: a kill of the
					 * process group looks the same here. */
					/* (a stop the program sent its group,
					 * vim's kill(0, SIGTSTP), stops the
					 * supervisor once the program stops) */
					if (is_stopping((int)si.ssi_signo) && !child_done) {
						stop_wanted = (int)si.ssi_signo;
						stop_wanted_at = sv_now_ms();
					}
					if ((si.ssi_code == SI_USER || si.ssi_code == SI_QUEUE) &&
					    si.ssi_pid != 0 && supervised((pid_t)si.ssi_pid))
						continue;
					/* nor its own (a SIGXFSZ of its log's write) */
					if (si.ssi_code == SI_USER && si.ssi_pid == (uint32_t)getpid())
						continue;
					if (si.ssi_signo == SIGCONT) {
						stop_wanted = 0;
						if (child_done)
							to_left_behind(SIGCONT);
						else if (stopped(child))
							kill(child, SIGCONT);
						continue;
					}
					/* Once the program is gone, what it left
					 * behind gets it, the terminal's too (or
					 * nothing would stop the command):
					 * regress_supervise_signal_after_exit */
					if (child_done) {
						to_left_behind((int)si.ssi_signo);
						continue;
					}
					/* the terminal's signals reach the whole
					 * process group: the program has it */
					if (si.ssi_code == SI_KERNEL)
						continue;
					kill(child, (int)si.ssi_signo);
				}
				if (stop_wanted && !child_done) {
					bool in_time = sv_now_ms() - stop_wanted_at <= STOP_WISH_MS;
					int s, sig = stop_wanted;

					if (waitpid(child, &s, WUNTRACED | WNOHANG) == child) {
						if (WIFSTOPPED(s)) {
							stop_wanted = 0;
							if (in_time)
								stop_as(WSTOPSIG(s));
						} else {
							status = s;
							child_done = true;
						}
					} else if (!in_time) {
						stop_wanted = 0;
					} else if (stopped(child)) {
						/* (stopped before the signal came) */
						stop_wanted = 0;
						stop_as(sig);
					}
				}
				for (;;) {
					int s;
					pid_t w = waitpid(-1, &s, WNOHANG);

					if (w <= 0)
						break;
					if (w == child) {
						status = s;
						child_done = true;
					}
				}
			}
		}
		sv_linger_expire();
		sv_after_check();
		if (child_done) {
			pid_t w = waitpid(-1, NULL, WNOHANG);

			/* the last supervised process has exited */
			if (w < 0 && errno == ECHILD)
				break;
		}
		(void)listener_hup;
	}
	/* (loop_lock held till the end: a receiver with a call of a process
	 * that is gone waits, and goes with the supervisor) */
	sv_after_finish();
	sv_linger_finish();
	if (event_wanted(&shim_cfg, EVENTS_ERRORS))
		event_flush_suppressed(true);
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		/* died the program's death, for the shell's $? and core rules */
		signal(sig, SIG_DFL);
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		{
			sigset_t one;

			sigemptyset(&one);
			sigaddset(&one, sig);
			sigprocmask(SIG_UNBLOCK, &one, NULL);
		}
		prctl(PR_SET_DUMPABLE, 0); /* no core of the supervisor's own */
		raise(sig);
		return 128 + sig;
	}
	return WEXITSTATUS(status);
}

/* Each new process's pidfd goes into the loop: readable when it exits. */
static void watch(struct sv_proc *p)
{
	struct epoll_event e = {.events = EPOLLIN};

	if (loop_ep < 0)
		return;
	e.data.u64 = (uint64_t)SV_TAG_PIDFD << 32 | (uint32_t)p->pidfd;
	epoll_ctl(loop_ep, EPOLL_CTL_ADD, p->pidfd, &e);
}

