/* Log destinations.
 *
 * The shim never writes into the program's own descriptors: stderr is
 * copied at load to a private number (a daemon that later closes fd 2 and
 * gets the number back for a data file must not find log lines in it), and
 * files and the daemons' sockets live at private numbers too (see
 * privfd.h).
 *
 * syslog(3) is not used: it takes a lock and may allocate, and the shim
 * writes from signal handlers and forked children.  Records go to /dev/log
 * as one datagram each, in the format syslog(3) itself sends (logframe.h).
 *
 * Nor is libsystemd's sd_journal_send: it formats each field with
 * vasprintf into a realloc'ed array (malloc, which the shim cannot call
 * inside an interposed call or a signal handler), sd_journal_sendv copies
 * with alloca in proportion to the fields (stack a small signal stack does
 * not have), sends through libc's sendmsg without MSG_DONTWAIT (it waits
 * when journald's queue is full, and another preload would see it), and
 * when that fails falls back to a memfd.  journald's native protocol is a
 * few lines of framing over one datagram (logframe.h), written here with
 * raw system calls, and the library stays free of a libsystemd
 * dependency.
 *
 * A daemon may restart, or start after the program: the datagram socket is
 * made once and connected again (the same descriptor: connect(2) on a
 * datagram socket just names another peer) when a send says the peer is
 * gone, at most once a second, never waiting.  Records meanwhile are
 * dropped and counted (the next log_dropped record tells how many).
 *
 * A file may be rotated under the program (logrotate): at most once a
 * second a record's writer checks whether the file it writes to was renamed
 * or removed, and if so opens the path again. */
#define _GNU_SOURCE
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "coldmem.h"
#include "logframe.h"
#include "privfd.h"
#include "proc.h"
#include "record.h"
#include "sockshim.h"
#include "sys.h"

#define SYSLOG_PATH "/dev/log"
#define JOURNAL_PATH "/run/systemd/journal/socket"
/* The socket journald accepts programs' stdout and stderr on. */
#define JOURNAL_STDOUT_PATH "/run/systemd/journal/stdout"
#define SYSLOG_USER 8 /* LOG_USER facility, as <syslog.h> shifts it */
#define SYSLOG_WARNING 4
#define SYSLOG_INFO 6
/* Reconnections to a daemon, and checks of a file for rotation, are at
 * least this far apart. */
#define RETRY_MS 1000

#define TLS __attribute__((tls_model("initial-exec")))

static enum log_dest dest = LOG_STDERR;
static int dest_slot = -1;  /* where records go; -1: nowhere */
static bool dest_is_pipe;   /* a write may raise SIGPIPE */
/* The destination is shared with the program's stderr (a dup: same open
 * file description, so it cannot be made non-blocking): each write first
 * asks whether it would block. */
static bool dest_may_block;
static long long dropped; /* records lost since the last one written */
static char path_template[PATH_MAX];
static bool path_per_process; /* the template has %p */

/* syslog, journald: where the datagram socket connects to; no attempt to
 * connect again before next_connect (CLOCK_MONOTONIC_COARSE, ms). */
static const char *sock_path;
static long long next_connect;
/* The local time's offset from UTC, taken at load (syslog's timestamp is
 * local time, as syslog(3) writes it; localtime_r takes a lock and reads
 * files, which only the load may afford). */
static long gmtoff;

/* A file: the path it was opened by (the template expanded), whether it is
 * a regular file (only those are rotated), no check for rotation before
 * next_check (ms), and whether the path was found missing at the last
 * check. */
static char file_path[PATH_MAX];
static pid_t file_opener; /* the process that opened it (log_process_ends) */
static bool file_regular;
static long long next_check;
static bool file_missing_seen;
/* The file is a FIFO that had no reader at the last try (ENXIO): tried
 * again at most once a second (next_open), the records meanwhile dropped
 * and counted, not given up for good (a collector that starts after the
 * program: regress_log_fifo_reader_late). */
static bool open_retry;
static long long next_open;
/* The root changed since the file was opened (a chroot): its path leads
 * elsewhere, and is no longer followed (log_after_chroot). */
static bool path_unreachable;
static dev_t root_dev;
static ino_t root_ino;

/* journald datagrams are built in the spare room of the current call's
 * buffer set (call.h): never on the stack, nor in per-thread storage. */
_Static_assert(sizeof(struct logframe_journal) <= CALL_SPARE, "CALL_SPARE too small");

/* A file is opened at the first record, so that a process with nothing to
 * say leaves no empty file behind (and a forked child opens its own).  What
 * can be checked without creating it is checked at load (check_file), where
 * a problem still has the program's stderr to be reported on. */
enum { FILE_CLOSED, FILE_OPENING, FILE_OPEN, FILE_FAILED };
static int file_state = FILE_CLOSED;
static __thread volatile bool opening_here TLS;

static long long coarse_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* True (for one caller only) if *next has passed; the next one is then a
 * second away.  A clock read, never a wait. */
static bool due(long long *next)
{
	long long now = coarse_ms(), when = __atomic_load_n(next, __ATOMIC_RELAXED);

	return now >= when && __atomic_compare_exchange_n(next, &when, now + RETRY_MS, false,
							  __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

bool log_expand_path(const char *tmpl, int pid, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = tmpl; *p; p++) {
		char digits[20];
		const char *add = digits;
		size_t len;

		if (p[0] == '%' && p[1] == 'p') {
			add = rec_digits((unsigned)pid, 10, digits + sizeof digits);
			len = (size_t)(digits + sizeof digits - add);
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			add = "%";
			len = 1;
			p++;
		} else {
			add = p;
			len = 1;
		}
		if (n + len >= size)
			return false;
		memcpy(out + n, add, len);
		n += len;
	}
	out[n] = '\0';
	return true;
}

/* The private copy of stderr, unless stderr is closed or a socket (an
 * inetd-style service: fd 2 is the client's connection).  A pipe or a
 * terminal may stop accepting (nobody reads it): the shim must then drop
 * records, never block the program.  Reopened through /proc, a pipe or
 * terminal gets an open file description of the shim's own, which can be
 * non-blocking without changing the program's fd 2; a dup shares the
 * program's, which stays as it is. */
static int adopt_stderr(void)
{
	struct stat st, again;
	int fd, slot, mode, ptn;

	if (sys_fstat(STDERR_FILENO, &st) != 0 || S_ISSOCK(st.st_mode))
		return -1;
	/* A stderr open for reading only (2<&0) is no place for records: a
	 * reopen for writing would put them into the program's own input. */
	mode = sys_fcntl(STDERR_FILENO, F_GETFL, 0);
	if (mode < 0 || (mode & O_ACCMODE) == O_RDONLY)
		return -1;
	dest_is_pipe = S_ISFIFO(st.st_mode);
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
		return privfd_adopt(STDERR_FILENO);
	/* A pty master reopened would be a new pty: shared as it is. */
	if (S_ISCHR(st.st_mode) && sys_raw6(SYS_ioctl, STDERR_FILENO, TIOCGPTN, (long)&ptn, 0, 0, 0) == 0)
		fd = -1;
	else
		fd = sys_openat(AT_FDCWD, "/proc/self/fd/2",
				O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_APPEND, 0);
	/* ... and only if it is the very same pipe or terminal */
	if (fd >= 0 && (sys_fstat(fd, &again) != 0 || again.st_dev != st.st_dev ||
			again.st_ino != st.st_ino || again.st_rdev != st.st_rdev)) {
		sys_close(fd);
		fd = -1;
	}
	if (fd < 0) {
		dest_may_block = true;
		return privfd_adopt(STDERR_FILENO);
	}
	slot = privfd_adopt(fd);
	sys_close(fd);
	return slot;
}

/* O_NOFOLLOW: a symlink planted where the log should be would make the
 * shim write wherever it points.  O_NONBLOCK: a FIFO without a reader must
 * not hang the program at load.  O_APPEND: every line lands whole at the
 * end, also after a rotator truncated the file (copytruncate). */
#define FILE_FLAGS (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK)

/* Opens the file for this process; a slot or -1 with *why set. */
__attribute__((noinline)) static int open_file(const char **why)
{
	/* The path is not on the stack: a record may be made in a signal
	 * handler on a small alternate stack.  Only the one thread that moved
	 * the state to FILE_OPENING (or the forked child) is here. */
	struct stat st;
	int fd, slot;

	if (!log_expand_path(path_template, (int)proc_pid, file_path, sizeof file_path)) {
		*why = "path too long";
		return -1;
	}
	fd = sys_openat(AT_FDCWD, file_path, FILE_FLAGS, 0640);
	if (fd < 0) {
		*why = errno == ELOOP ? "is a symbolic link; refused" : strerrordesc_np(errno);
		return -1;
	}
	if (sys_fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode) ||
				     S_ISFIFO(st.st_mode))) {
		sys_close(fd);
		*why = "not a regular file";
		return -1;
	}
	/* Blocking writes, except into a FIFO: a stalled reader there must
	 * cost records, not the program's progress. */
	if (!S_ISFIFO(st.st_mode))
		sys_fcntl(fd, F_SETFL, O_APPEND);
	dest_is_pipe = S_ISFIFO(st.st_mode);
	file_regular = S_ISREG(st.st_mode);
	file_opener = proc_pid;
	file_missing_seen = false;
	__atomic_store_n(&next_check, coarse_ms() + RETRY_MS, __ATOMIC_RELAXED);
	slot = privfd_adopt(fd);
	sys_close(fd);
	if (slot < 0)
		*why = strerrordesc_np(errno);
	return slot;
}

static int sys_lstat(const char *path, struct stat *st)
{
#if defined(__x86_64__)
	return (int)SYS6(SYS_newfstatat, AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW, 0, 0);
#else
	return sys_fstatat(AT_FDCWD, path, st, AT_SYMLINK_NOFOLLOW); /* (sys.h) */
#endif
}

/* The file behind fd was rotated away: the path is opened again and put
 * in fd's place (dup3 onto the private number, so that every writer, in
 * any thread, goes on with the same number: a write in flight lands whole
 * in one file or the other).  If the path cannot be opened now (a symlink,
 * no permission), the old file is kept and the next check tries again. */
__attribute__((noinline)) static void reopen_file(int fd, struct stat *st)
{
	int nfd = sys_openat(AT_FDCWD, file_path, FILE_FLAGS, 0640);

	if (nfd < 0)
		return;
	if (sys_fstat(nfd, st) == 0 && S_ISREG(st->st_mode)) {
		sys_fcntl(nfd, F_SETFL, O_APPEND); /* blocking, as open_file */
		if (SYS6(SYS_dup3, nfd, fd, O_CLOEXEC, 0, 0, 0) >= 0)
			file_missing_seen = false;
	}
	sys_close(nfd);
}

/* Whether the file the log writes to is still the one at its path: not
 * removed (no links left: logrotate's compress without delaycompress, an
 * operator's rm) and not renamed (the path is missing or another file:
 * logrotate's create, or its default of no create).  A renamed file with
 * nothing at the path yet goes on being written for one more check: the
 * rotator is about to create the new one (with the mode and owner it was
 * told), and the lines meanwhile are in the renamed file, where the
 * rotator's delaycompress leaves them.  Only one caller at a time (due()),
 * at most once a second.  One struct stat on the stack, reused: this may
 * run in a signal handler on a small alternate stack. */
__attribute__((noinline)) static void check_rotation(int slot)
{
	struct stat st;
	bool reopen = false;
	int fd = privfd_get(slot);

	if (fd < 0)
		return;
	if (sys_fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		dev_t dev = st.st_dev;
		ino_t ino = st.st_ino;

		if (st.st_nlink == 0) {
			reopen = true;
		} else if (sys_lstat(file_path, &st) != 0) {
			if (errno == ENOENT) {
				reopen = file_missing_seen;
				file_missing_seen = true;
			}
		} else {
			file_missing_seen = false;
			reopen = st.st_ino != ino || st.st_dev != dev;
		}
	}
	if (reopen)
		reopen_file(fd, &st);
	privfd_put(slot);
}

/* Whether the file can be opened for appending, without creating it: not a
 * symlink, not a directory or socket, writable, or creatable in its
 * directory.  *why says what is wrong. */
static bool check_file(const char **why)
{
	char path[PATH_MAX], *slash;
	struct stat st;

	if (!log_expand_path(path_template, (int)proc_pid, path, sizeof path)) {
		*why = "path too long";
		return false;
	}
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode))
			*why = "is a symbolic link; refused";
		else if (!(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)))
			*why = "not a regular file";
		else if (access(path, W_OK) != 0)
			*why = strerrordesc_np(errno);
		else
			return true;
		return false;
	}
	if (errno != ENOENT) {
		*why = strerrordesc_np(errno);
		return false;
	}
	slash = strrchr(path, '/');
	if (slash == path)
		slash[1] = '\0'; /* "/log": the root directory */
	else if (slash)
		*slash = '\0';
	else
		strcpy(path, ".");
	if (access(path, W_OK | X_OK) != 0) {
		*why = strerrordesc_np(errno);
		return false;
	}
	return true;
}

/* Connects (again) the datagram socket fd to the daemon. */
static int connect_daemon(int fd)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t n = strlen(sock_path);

	memcpy(sun.sun_path, sock_path, n + 1);
	return sys_connect(fd, (struct sockaddr *)&sun,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1));
}

/* The datagram socket to a daemon at path, in a slot; connected if the
 * daemon is there now (if not, the first records after a second try
 * again).  -1 if no socket can be made. */
static int open_daemon(const char *path)
{
	int fd = sys_socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int slot;

	if (fd < 0)
		return -1;
	sock_path = path;
	connect_daemon(fd);
	next_connect = coarse_ms() + RETRY_MS;
	slot = privfd_adopt(fd);
	sys_close(fd);
	return slot;
}

/* Whether fd 2 is a stream to journald (a systemd service's stdout and
 * stderr, systemd-cat): the service manager says so in $JOURNAL_STREAM
 * ("DEV:INO" of that socket), or else the socket's peer is journald's
 * stdout socket (Debian 12's systemd-cat sets no JOURNAL_STREAM). */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	struct sockaddr_un sun;
	socklen_t len = sizeof sun;
	struct stat st;

	if (sys_fstat(STDERR_FILENO, &st) != 0 || !S_ISSOCK(st.st_mode))
		return false;
	if (env) {
		unsigned long long dev = 0, ino = 0;
		const char *p = env;

		while (*p >= '0' && *p <= '9')
			dev = dev * 10 + (unsigned)(*p++ - '0');
		if (*p++ == ':') {
			while (*p >= '0' && *p <= '9')
				ino = ino * 10 + (unsigned)(*p++ - '0');
			if (*p == '\0' && dev == st.st_dev && ino == st.st_ino)
				return true;
		}
	}
	if (sys_getpeername(STDERR_FILENO, (struct sockaddr *)&sun, &len) == 0 &&
	    sun.sun_family == AF_UNIX && len > offsetof(struct sockaddr_un, sun_path)) {
		size_t n = strnlen(sun.sun_path, len - offsetof(struct sockaddr_un, sun_path));

		return n == sizeof JOURNAL_STDOUT_PATH - 1 &&
		       memcmp(sun.sun_path, JOURNAL_STDOUT_PATH, n) == 0;
	}
	return false;
}

/* Whether template tmpl names a file per process: a %p of its own, as
 * log_expand_path reads it (not the p after a %%: "100%%pure"). */
static bool template_per_process(const char *tmpl)
{
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '%' && p[1] == 'p')
			return true;
		if (p[0] == '%' && p[1] == '%')
			p++;
	}
	return false;
}

/* A relative path_template taken from where the program starts, as the
 * launcher takes its --log: the file is opened at the first record and
 * checked for rotation by its path, after a chdir (a daemon's to "/") too
 * (regress_log_relative_path_chdir).  The directory's own '%' doubled (the
 * template's '%p' and '%%').  The kernel's getcwd, into file_path (not in
 * use yet at load): glibc's falls back, for a directory too long for the
 * kernel, to walking the tree on descriptors of its own and allocating.
 * On any failure the path stays relative. */
static void template_from_start_dir(void)
{
	size_t len = strlen(path_template), m = 0;
	long n = sys_raw6(SYS_getcwd, (long)file_path, (long)sizeof file_path, 0, 0, 0, 0);

	if (n <= 1 || file_path[0] != '/')
		return;
	for (const char *d = file_path; *d; d++)
		m += *d == '%' ? 2 : 1;
	if (m + 1 + len >= sizeof path_template)
		return;
	memmove(path_template + m + 1, path_template, len + 1);
	m = 0;
	for (const char *d = file_path; *d; d++) {
		path_template[m++] = *d;
		if (*d == '%')
			path_template[m++] = '%';
	}
	path_template[m] = '/';
	file_path[0] = '\0';
}

bool log_open(const struct config *cfg, const char **why)
{
	int saved = errno;
	bool ok = true;

	dest = cfg->log_dest;
	/* Under systemd (or systemd-cat), stderr is a socket to the journal,
	 * which the shim does not write into (it never writes into a socket
	 * it did not open): the records go to the journal natively. */
	if (dest == LOG_STDERR && stderr_is_journal())
		dest = LOG_JOURNALD;
	switch (dest) {
	case LOG_SYSLOG: {
		time_t t = time(NULL);
		struct tm tm;

		if (localtime_r(&t, &tm))
			gmtoff = tm.tm_gmtoff;
		dest_slot = open_daemon(SYSLOG_PATH);
		if (dest_slot < 0) {
			*why = "cannot make a socket for syslog";
			ok = false;
		}
		break;
	}
	case LOG_JOURNALD:
		dest_slot = open_daemon(JOURNAL_PATH);
		if (dest_slot < 0) {
			*why = "cannot make a socket for journald";
			ok = false;
		}
		break;
	case LOG_FILE:
		memcpy(path_template, cfg->log_path, sizeof path_template);
		if (path_template[0] != '/')
			template_from_start_dir();
		path_per_process = template_per_process(path_template);
		if (getauxval(AT_SECURE)) {
			/* A setuid program must not create or append to a file
			 * that its (untrusted) environment names. */
			*why = "a setuid/setgid program does not write files named by its "
			       "environment";
			ok = false;
		} else {
			ok = check_file(why); /* opened at the first record */
		}
		break;
	case LOG_STDERR:
		break;
	}
	if (!ok || dest == LOG_STDERR) {
		dest = LOG_STDERR;
		dest_slot = adopt_stderr();
	}
	errno = saved;
	return ok;
}

/* The slot records go to: for a file, opened now if it is not yet. */
static int current_slot(void)
{
	int state = __atomic_load_n(&file_state, __ATOMIC_ACQUIRE), expected = FILE_CLOSED;
	const char *why = NULL;
	int slot;

	if (dest != LOG_FILE || state == FILE_OPEN || state == FILE_FAILED)
		return dest_slot;
	/* (never again by its path once a chroot made it lead elsewhere) */
	if (state == FILE_CLOSED && __atomic_load_n(&open_retry, __ATOMIC_ACQUIRE) &&
	    (__atomic_load_n(&path_unreachable, __ATOMIC_RELAXED) || !due(&next_open)))
		return -1;
	if (state == FILE_CLOSED &&
	    __atomic_compare_exchange_n(&file_state, &expected, FILE_OPENING, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		opening_here = true;
		errno = 0;
		slot = open_file(&why);
		if (slot >= 0) {
			dest_slot = slot;
			__atomic_store_n(&file_state, FILE_OPEN, __ATOMIC_RELEASE);
		} else if (errno == ENXIO) {
			/* a FIFO nobody reads yet: again in a second */
			dest_slot = -1;
			__atomic_store_n(&next_open, coarse_ms() + RETRY_MS, __ATOMIC_RELAXED);
			__atomic_store_n(&open_retry, true, __ATOMIC_RELEASE);
			__atomic_store_n(&file_state, FILE_CLOSED, __ATOMIC_RELEASE);
		} else {
			/* check_file() passed at load: something changed since.
			 * There is no safe place left to say so (fd 2 may be a
			 * data file of the program's by now): records are
			 * dropped. */
			dest_slot = -1;
			__atomic_store_n(&file_state, FILE_FAILED, __ATOMIC_RELEASE);
		}
		opening_here = false;
		return dest_slot;
	}
	/* Another thread opens it; a signal handler that interrupted the
	 * opening in this very thread drops its record rather than wait. */
	if (opening_here)
		return -1;
	while (__atomic_load_n(&file_state, __ATOMIC_ACQUIRE) == FILE_OPENING)
		sched_yield();
	return dest_slot;
}

size_t log_record_max(void)
{
	if (dest == LOG_JOURNALD)
		return SHIM_RECORD_MAX - (sizeof SHIM_JOURNAL_RECORD "=" - 1);
	if (dest == LOG_SYSLOG)
		return SHIM_RECORD_MAX - (sizeof "MESSAGE=" - 1);
	return SHIM_RECORD_MAX;
}

SHIM_FORK_TEXT bool log_owns_slot(int slot)
{
	return slot >= 0 && slot == dest_slot;
}

SHIM_FORK_TEXT void log_after_fork_child(void)
{
	/* The child's privfd registry was already cleaned up by the caller,
	 * keeping the log slot.  A per-process file belongs to the parent:
	 * the child gets its own. */
	if (dest == LOG_FILE && path_per_process && file_state == FILE_OPEN && !path_unreachable) {
		const char *why;

		privfd_release(dest_slot);
		/* The parent logs, so the child likely will, perhaps after it
		 * has dropped privileges (a server's workers): its file is
		 * opened now, with the parent's. */
		dest_slot = open_file(&why);
		file_state = dest_slot >= 0 ? FILE_OPEN : FILE_FAILED;
	}
	/* A thread of the parent was opening it: that thread is not here to
	 * finish, so the child opens its own. */
	if (file_state == FILE_OPENING) {
		dest_slot = -1;
		file_state = FILE_CLOSED;
	}
	opening_here = false;
}

/* write(2) into a pipe whose reader is gone raises SIGPIPE, which would
 * kill the program for the shim's sake: block it around the write and
 * consume the one the write raised, if it was not pending before.  Returns
 * the write's result. */
__attribute__((noinline)) static ssize_t write_pipe(int fd, const char *buf, size_t len)
{
	/* The kernel's signal sets (64 bits), not glibc's 1024-bit sigset_t:
	 * this runs on whatever stack the caller has. */
	unsigned long pipe_set = 1UL << (SIGPIPE - 1), old = 0, pending = 0;
	ssize_t n;

	sys_raw6(SYS_rt_sigprocmask, SIG_BLOCK, (long)&pipe_set, (long)&old, 8, 0, 0);
	sys_raw6(SYS_rt_sigpending, (long)&pending, 8, 0, 0, 0, 0);
	do
		n = sys_write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EPIPE && !(pending & pipe_set)) {
		const struct timespec zero = {0, 0};
		int saved = errno;

		sys_raw6(SYS_rt_sigtimedwait, (long)&pipe_set, 0, (long)&zero, 8, 0, 0);
		errno = saved;
	}
	sys_raw6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
	return n;
}

__attribute__((noinline)) static ssize_t send_syslog(int fd, const char *line, size_t len,
							 enum log_severity sev)
{
	char head[LOGFRAME_SYSLOG_HEAD_MAX];
	int pri = SYSLOG_USER | (sev == LOG_SEV_ERROR ? SYSLOG_WARNING : SYSLOG_INFO);
	struct timespec now;
	struct iovec iov[2];
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};

	/* "<pri>Mmm dd hh:mm:ss sockshim[pid]: record", as syslog(3) sends
	 * it: with the timestamp, journald keeps no SYSLOG_RAW copy of the
	 * datagram.  The record is not copied: it goes as the second part of
	 * the datagram, without its newline. */
	clock_gettime(CLOCK_REALTIME, &now);
	iov[0].iov_base = head;
	iov[0].iov_len = logframe_syslog_head(head, pri, (int64_t)now.tv_sec + gmtoff, (int)proc_pid);
	iov[1].iov_base = (void *)line;
	iov[1].iov_len = len - 1;
	return sys_sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

__attribute__((noinline)) static ssize_t send_journal(int fd, const char *line, size_t len,
							  enum log_severity sev)
{
	struct call *c = call_current();
	struct logframe_journal *m;
	struct msghdr msg = {0};

	if (!c || !call_buffers(c)) {
		errno = EAGAIN; /* no room to build it in: dropped */
		return -1;
	}
	m = (struct logframe_journal *)(void *)call_spare(c);
	logframe_journal_record(m, line, len, sev == LOG_SEV_ERROR ? SYSLOG_WARNING : SYSLOG_INFO);
	msg.msg_iov = m->iov;
	msg.msg_iovlen = (size_t)m->n_iov;
	return sys_sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static ssize_t send_daemon(int fd, const char *line, size_t len, enum log_severity sev)
{
	return dest == LOG_SYSLOG ? send_syslog(fd, line, len, sev)
				  : send_journal(fd, line, len, sev);
}

/* A send's errno that says the daemon is gone (restarted, stopped, not
 * yet started): the socket is connected again, at most once a second. */
static bool daemon_gone(int err)
{
	return err == ECONNREFUSED || err == ENOENT || err == ENOTCONN;
}

/* Whether a write to fd would block now (a pipe or terminal shared with
 * the program, full). */
static bool would_block(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	return sys_poll(&p, 1, 0) == 0;
}

bool log_write(const char *line, size_t len, enum log_severity sev)
{
	int saved = errno;
	int slot = current_slot(), fd;
	ssize_t n = -1;

	/* (a record that finds no destination is lost too, and counted: the
	 * file's first opening interrupted in this thread by a handler's
	 * record, which must not wait for it) */
	if (slot < 0)
		goto lost;
	if (dest == LOG_FILE && file_regular && !__atomic_load_n(&path_unreachable, __ATOMIC_RELAXED) &&
	    due(&next_check))
		check_rotation(slot);
	fd = privfd_get(slot);
	if (fd < 0)
		goto lost;
	if (dest == LOG_SYSLOG || dest == LOG_JOURNALD) {
		n = send_daemon(fd, line, len, sev);
		if (n < 0 && daemon_gone(errno) && due(&next_connect) && connect_daemon(fd) == 0)
			n = send_daemon(fd, line, len, sev);
	} else if (dest_may_block && would_block(fd)) {
		errno = EAGAIN;
	} else if (dest_is_pipe) {
		n = write_pipe(fd, line, len);
	} else {
		while ((n = sys_write(fd, line, len)) < 0 && errno == EINTR)
			;
	}
	privfd_put(slot);
	/* Lost: a full pipe or socket, a daemon away, a full disk. */
	if (n >= 0)
		goto out;
lost:
	log_count_dropped(1);
out:
	errno = saved;
	return n >= 0;
}

void log_before_chroot(void)
{
	int saved = errno;

	if (dest == LOG_FILE && __atomic_load_n(&file_state, __ATOMIC_ACQUIRE) == FILE_CLOSED) {
		/* the last chance to open it by its path: a FIFO's reader that
		 * came since the last try is taken now, not a second later */
		__atomic_store_n(&next_open, 0, __ATOMIC_RELAXED);
		(void)current_slot();
	}
	if (dest == LOG_FILE) { /* (the root, to tell after whether it changed) */
		struct stat st;

		root_dev = 0;
		root_ino = 0;
		if (sys_lstat("/", &st) == 0) {
			root_dev = st.st_dev;
			root_ino = st.st_ino;
		}
	}
	errno = saved;
}

void log_after_chroot(void)
{
	int saved = errno;
	struct stat st;

	if (dest == LOG_FILE && (sys_lstat("/", &st) != 0 || st.st_dev != root_dev || st.st_ino != root_ino))
		__atomic_store_n(&path_unreachable, true, __ATOMIC_RELAXED);
	errno = saved;
}

void log_count_dropped(long long n)
{
	__atomic_add_fetch(&dropped, n, __ATOMIC_RELAXED);
}

/* A per-process file this process opened and left empty is removed;
 * true if it was. */
SHIM_FORK_TEXT static bool remove_if_empty(void)
{
	struct stat held, named;
	int slot = dest_slot, fd;
	bool removed = false;

	/* (only by the process that opened it: a child made without fork(),
	 * by clone() or syscall(), goes on writing its parent's file) */
	if (dest != LOG_FILE || !path_per_process || file_state != FILE_OPEN || slot < 0 ||
	    file_opener != proc_pid)
		return false;
	fd = privfd_get(slot);
	if (fd < 0)
		return false;
	/* (the same file, still empty: not another one made at the path
	 * since, by a rotation) */
	if (sys_fstat(fd, &held) == 0 && S_ISREG(held.st_mode) && held.st_size == 0 &&
	    sys_lstat(file_path, &named) == 0 && named.st_ino == held.st_ino &&
	    named.st_dev == held.st_dev)
		removed = SYS6(SYS_unlinkat, AT_FDCWD, file_path, 0, 0, 0, 0) == 0;
	privfd_put(slot);
	return removed;
}

SHIM_FORK_TEXT void log_process_ends(void)
{
	remove_if_empty();
}

/* A forked child opens its file at the fork (log_after_fork_child); one
 * that execs at once (a CGI-style server's) left it empty, one per
 * request, the exec'd image opening its own at its first record, if any:
 * it is removed before the exec.  Should the exec fail, the next record
 * finds it removed (check_rotation, asked at once) and makes it again. */
static bool removed_at_exec;

void log_before_exec(void)
{
	removed_at_exec = remove_if_empty();
}

void log_exec_failed(void)
{
	if (removed_at_exec)
		__atomic_store_n(&next_check, 0, __ATOMIC_RELAXED);
	removed_at_exec = false;
}

SHIM_FORK_TEXT void log_forget_dropped(void)
{
	if (__atomic_load_n(&dropped, __ATOMIC_RELAXED)) /* no write (a fault) if nothing to forget */
		__atomic_store_n(&dropped, 0, __ATOMIC_RELAXED);
}

SHIM_FORK_TEXT long long log_take_dropped(void)
{
	if (__atomic_load_n(&dropped, __ATOMIC_RELAXED) == 0)
		return 0;
	return __atomic_exchange_n(&dropped, 0, __ATOMIC_RELAXED);
}
