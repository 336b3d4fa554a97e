/* Log destinations.
 *
 * The shim never writes into the program's own descriptors: stderr is
 * copied at load to a private number (a daemon that later closes fd 2 and
 * gets the number back for a data file must not find log lines in it), and
 * files and the syslog socket live at private numbers too (see privfd.h).
 *
 * syslog(3) is not used: it takes a lock and may allocate, and the shim
 * writes from signal handlers and forked children.  Records go to /dev/log
 * as one datagram each, in the format syslog(3) itself sends. */
#define _GNU_SOURCE
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "privfd.h"
#include "proc.h"
#include "record.h"
#include "sockshim.h"
#include "sys.h"

#define SYSLOG_PATH "/dev/log"
#define SYSLOG_USER 8 /* LOG_USER facility, as <syslog.h> shifts it */
#define SYSLOG_WARNING 4
#define SYSLOG_INFO 6

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

/* A file is opened at the first record, so that a process with nothing to
 * say leaves no empty file behind (and a forked child opens its own).  What
 * can be checked without creating it is checked at load (check_file), where
 * a problem still has the program's stderr to be reported on. */
enum { FILE_CLOSED, FILE_OPENING, FILE_OPEN, FILE_FAILED };
static int file_state = FILE_CLOSED;
static __thread volatile bool opening_here __attribute__((tls_model("initial-exec")));

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

/* Opens the file for this process; a slot or -1 with *why set. */
__attribute__((noinline)) static int open_file(const char **why)
{
	/* Not on the stack: a record may be made in a signal handler on a
	 * small alternate stack.  Only the one thread that moved the state to
	 * FILE_OPENING (or the forked child) is here. */
	static char path[PATH_MAX];
	struct stat st;
	int fd, slot;

	if (!log_expand_path(path_template, (int)proc_pid, path, sizeof path)) {
		*why = "path too long";
		return -1;
	}
	/* O_NOFOLLOW: a symlink planted where the log should be would make
	 * the shim write wherever it points.  O_NONBLOCK: a FIFO without a
	 * reader must not hang the program at load. */
	fd = sys_openat(AT_FDCWD, path,
			O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
			0640);
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
	slot = privfd_adopt(fd);
	sys_close(fd);
	if (slot < 0)
		*why = strerrordesc_np(errno);
	return slot;
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

static int connect_syslog(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX, .sun_path = SYSLOG_PATH};
	int fd = sys_socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int slot = -1;

	if (fd < 0)
		return -1;
	if (sys_connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
		slot = privfd_adopt(fd);
	sys_close(fd);
	return slot;
}

bool log_open(const struct config *cfg, const char **why)
{
	int saved = errno;
	bool ok = true;

	dest = cfg->log_dest;
	switch (dest) {
	case LOG_SYSLOG:
		dest_slot = connect_syslog();
		if (dest_slot < 0) {
			*why = "cannot reach syslog at " SYSLOG_PATH;
			ok = false;
		}
		break;
	case LOG_FILE:
		memcpy(path_template, cfg->log_path, sizeof path_template);
		path_per_process = strstr(path_template, "%p") != NULL;
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
	if (state == FILE_CLOSED &&
	    __atomic_compare_exchange_n(&file_state, &expected, FILE_OPENING, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		opening_here = true;
		slot = open_file(&why);
		if (slot >= 0) {
			dest_slot = slot;
			__atomic_store_n(&file_state, FILE_OPEN, __ATOMIC_RELEASE);
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

bool log_owns_slot(int slot)
{
	return slot >= 0 && slot == dest_slot;
}

void log_after_fork_child(void)
{
	/* The child's privfd registry was already cleaned up by the caller,
	 * keeping the log slot.  A per-process file belongs to the parent:
	 * the child gets its own. */
	if (dest == LOG_FILE && path_per_process && file_state == FILE_OPEN) {
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

__attribute__((noinline)) static ssize_t send_syslog(int fd, const char *line, size_t len, enum log_severity sev)
{
	char head[128], num[20], *d;
	int pri = SYSLOG_USER | (sev == LOG_SEV_ERROR ? SYSLOG_WARNING : SYSLOG_INFO);
	size_t n = 0, plen = strnlen(proc_prog, 64);
	struct iovec iov[2];
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};

	/* "<pri>prog[pid]: record", as syslog(3) sends it; rsyslog and
	 * journald stamp the time themselves.  The record is not copied: it
	 * goes as the second part of the datagram. */
#define ADD_NUM(x)                                                   \
	do {                                                         \
		d = rec_digits((unsigned)(x), 10, num + sizeof num); \
		memcpy(head + n, d, (size_t)(num + sizeof num - d)); \
		n += (size_t)(num + sizeof num - d);                 \
	} while (0)
	head[n++] = '<';
	ADD_NUM(pri);
	head[n++] = '>';
	memcpy(head + n, proc_prog, plen);
	n += plen;
	head[n++] = '[';
	ADD_NUM(proc_pid);
	memcpy(head + n, "]: ", 3);
	n += 3;
#undef ADD_NUM
	iov[0].iov_base = head;
	iov[0].iov_len = n;
	iov[1].iov_base = (void *)line;
	iov[1].iov_len = len - 1; /* without the newline */
	return sys_sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
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

	if (slot < 0)
		goto out;
	fd = privfd_get(slot);
	if (fd < 0)
		goto out;
	if (dest == LOG_SYSLOG)
		n = send_syslog(fd, line, len, sev);
	else if (dest_may_block && would_block(fd))
		errno = EAGAIN;
	else if (dest_is_pipe)
		n = write_pipe(fd, line, len);
	else
		while ((n = sys_write(fd, line, len)) < 0 && errno == EINTR)
			;
	privfd_put(slot);
	if (n < 0 && (errno == EAGAIN || errno == ENOBUFS))
		log_count_dropped(1);
out:
	errno = saved;
	return n >= 0;
}

void log_count_dropped(long long n)
{
	__atomic_add_fetch(&dropped, n, __ATOMIC_RELAXED);
}

void log_forget_dropped(void)
{
	dropped = 0;
}

long long log_take_dropped(void)
{
	if (__atomic_load_n(&dropped, __ATOMIC_RELAXED) == 0)
		return 0;
	return __atomic_exchange_n(&dropped, 0, __ATOMIC_RELAXED);
}
