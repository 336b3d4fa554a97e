/* The program's side of the supervisor, between fork and exec: the filter,
 * its listener handed to the supervisor, and the exec. */
#define _GNU_SOURCE
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* Reports a failure to the supervisor ("E<errno> <what>") and ends the
 * child: nothing of the program has run. */
static void __attribute__((noreturn)) child_fail(int sock, int err, const char *what)
{
	char msg[256];
	int n = snprintf(msg, sizeof msg, "E%d %s", err, what);

	if (n > 0)
		(void)!write(sock, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
	_exit(127);
}

static int add(scmp_filter_ctx ctx, int nr, unsigned n, const struct scmp_arg_cmp *cmp)
{
	return seccomp_rule_add_array(ctx, SCMP_ACT_NOTIFY, nr, n, cmp);
}

/* The calls of the socket life cycle that the supervisor must see, and no
 * more: each trapped call costs two context switches.  i386: the filter
 * of 32-bit x86 calls, whose setsockopt may come through socketcall(2),
 * where the filter cannot read the level and option (libseccomp would
 * compare socketcall's own arguments: none would ever match). */
static int add_rules(scmp_filter_ctx ctx, const struct sv_traps *t, bool i386)
{
	int rc = add(ctx, SCMP_SYS(close), 0, NULL);

	/* close_range: daemons closing what they inherited, closefrom */
	rc = rc ? rc : add(ctx, SCMP_SYS(close_range), 0, NULL);

	if (!rc && t->reuse)
		rc = add(ctx, SCMP_SYS(bind), 0, NULL);
	if (!rc && t->setsockopt) {
		struct scmp_arg_cmp a[2] = {SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET),
					    SCMP_A2(SCMP_CMP_EQ, SO_REUSEADDR)};

		if (i386) {
			rc = add(ctx, SCMP_SYS(setsockopt), 0, NULL); /* (calls.c asks) */
		} else {
			rc = add(ctx, SCMP_SYS(setsockopt), 2, a);
			a[1] = (struct scmp_arg_cmp)SCMP_A2(SCMP_CMP_EQ, SO_REUSEPORT);
			if (!rc)
				rc = add(ctx, SCMP_SYS(setsockopt), 2, a);
		}
	}
	if (!rc && t->shutdown)
		rc = add(ctx, SCMP_SYS(shutdown), 0, NULL);
	if (!rc && t->sharing) {
		struct scmp_arg_cmp dupfd = SCMP_A1(SCMP_CMP_EQ, F_DUPFD);
		struct scmp_arg_cmp dupfd_cloexec = SCMP_A1(SCMP_CMP_EQ, F_DUPFD_CLOEXEC);

		rc = add(ctx, SCMP_SYS(dup), 0, NULL);
		rc = rc ? rc : add(ctx, SCMP_SYS(dup2), 0, NULL);
		rc = rc ? rc : add(ctx, SCMP_SYS(dup3), 0, NULL);
		rc = rc ? rc : add(ctx, SCMP_SYS(fcntl), 1, &dupfd);
		rc = rc ? rc : add(ctx, SCMP_SYS(fcntl), 1, &dupfd_cloexec);
		/* a 32-bit program's (none on x86_64, where it is skipped) */
		rc = rc ? rc : add(ctx, SCMP_SYS(fcntl64), 1, &dupfd);
		rc = rc ? rc : add(ctx, SCMP_SYS(fcntl64), 1, &dupfd_cloexec);
	}
	/* A socket passed to another process (SCM_RIGHTS) gains a holder
	 * there: only sendmsg can carry one (sendmmsg is not watched). */
	if (!rc && t->passing)
		rc = add(ctx, SCMP_SYS(sendmsg), 0, NULL);
	/* New processes (holders of sockets, thread ids that change hands),
	 * new images and exits: rare, always watched. */
	if (!rc) {
		struct scmp_arg_cmp not_thread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0);

		rc = add(ctx, SCMP_SYS(fork), 0, NULL);
		rc = rc ? rc : add(ctx, SCMP_SYS(vfork), 0, NULL);
		/* a new process, not a thread: Go makes its threads with clone */
		rc = rc ? rc : add(ctx, SCMP_SYS(clone), 1, &not_thread);
		/* clone3's flags are in memory: the supervisor reads them */
		rc = rc ? rc : add(ctx, SCMP_SYS(clone3), 0, NULL);
		rc = rc ? rc : add(ctx, SCMP_SYS(execve), 0, NULL);
		rc = rc ? rc : add(ctx, SCMP_SYS(execveat), 0, NULL);
		rc = rc ? rc : add(ctx, SCMP_SYS(exit_group), 0, NULL);
	}
	/* New epoll instances, that a lingering socket must leave
	 * (epolls.c): rare. */
	if (!rc && t->lingering) {
		rc = add(ctx, SCMP_SYS(epoll_create), 0, NULL);
		rc = rc ? rc : add(ctx, SCMP_SYS(epoll_create1), 0, NULL);
	}
	return rc;
}

/* Loads ctx's filter with a listener; its number, or -errno.  Loaded here,
 * not by seccomp_load: Debian 12's libseccomp (2.5) cannot ask for
 * SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19), without which a
 * signal that reaches a thread in a trapped call once the supervisor has
 * it ends the wait: with a handler without SA_RESTART the call fails with
 * EINTR (a close, which bare never does so; an exit_group, after which
 * glibc's _exit ends only the calling thread and a threaded program never
 * exits), and with SA_RESTART the call is made again, and the supervisor
 * acts on it twice (regress_supervise_signal_in_trap).  With the flag the
 * thread waits for the answer as for a page fault, but for a fatal
 * signal.  An older kernel (EINVAL) gets the filter without it. */
static int load_filter(scmp_filter_ctx ctx, bool *killable)
{
	struct sock_fprog prog;
	struct stat sb;
	void *code;
	int mfd = (int)syscall(SYS_memfd_create, "sockshim-filter", MFD_CLOEXEC | MFD_NOEXEC_SEAL), fd,
	    err;

	/* (a kernel before 6.3 knows no MFD_NOEXEC_SEAL; one set to
	 * vm.memfd_noexec=2 refuses a memfd without it) */
	if (mfd < 0 && errno == EINVAL)
		mfd = (int)syscall(SYS_memfd_create, "sockshim-filter", MFD_CLOEXEC);
	if (mfd < 0)
		return -errno;
	if ((err = seccomp_export_bpf(ctx, mfd)) != 0 || fstat(mfd, &sb) != 0 ||
	    sb.st_size <= 0 || sb.st_size % (off_t)sizeof(struct sock_filter) != 0 ||
	    sb.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		close(mfd);
		return err ? err : -EINVAL;
	}
	code = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, mfd, 0);
	close(mfd);
	if (code == MAP_FAILED)
		return -errno;
	prog.len = (unsigned short)(sb.st_size / (off_t)sizeof(struct sock_filter));
	prog.filter = code;
	fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
			  &prog);
	*killable = fd >= 0;
	if (fd < 0 && errno == EINVAL)
		fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
				  SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	err = errno;
	munmap(code, (size_t)sb.st_size);
	return fd < 0 ? -err : fd;
}

void sv_child_run(int sock, char **argv, const struct sv_traps *traps, bool set_nnp,
		  const sigset_t *inherited)
{
	scmp_filter_ctx ctx, x86;
	int nfd, rc;
	bool killable;
	char go;
	pid_t parent = getppid();

	/* If the supervisor dies, the program dies with it: without its
	 * listener every trapped call (close!) would fail with ENOSYS. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		child_fail(sock, errno ? errno : ESRCH, "the supervisor is gone");
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	x86 = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx || !x86)
		child_fail(sock, ENOMEM, "seccomp_init");
	/* 32-bit x86 programs too (a static i386 binary, or one a program
	 * execs): their calls are trapped as well (abi.c reads them), by a
	 * filter of their own merged in (rules differ: add_rules).  Any other
	 * ABI (x32) runs as the filter did not exist: a call of an ABI a
	 * filter does not name is otherwise killed, and with it a program
	 * that ran bare (regress_supervise_i386_static). */
	if (seccomp_arch_remove(x86, SCMP_ARCH_NATIVE) != 0 || seccomp_arch_add(x86, SCMP_ARCH_X86) != 0)
		child_fail(sock, EINVAL, "seccomp_arch_add");
	/* Without CAP_SYS_ADMIN the kernel takes a filter only with
	 * no_new_privs (the startup record says so).  (Both filters alike:
	 * libseccomp merges only filters whose attributes agree.) */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW) != 0 ||
	    seccomp_attr_set(x86, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW) != 0)
		child_fail(sock, EINVAL, "seccomp_attr_set");
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, set_nnp ? 1 : 0);
	seccomp_attr_set(x86, SCMP_FLTATR_CTL_NNP, set_nnp ? 1 : 0);
	if ((rc = add_rules(ctx, traps, false)) != 0 || (rc = add_rules(x86, traps, true)) != 0)
		child_fail(sock, -rc, "seccomp_rule_add");
	if ((rc = seccomp_merge(ctx, x86)) != 0)
		child_fail(sock, -rc, "seccomp_merge");
	if (set_nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		child_fail(sock, errno, "seccomp_load");
	nfd = load_filter(ctx, &killable);
	if (nfd < 0)
		/* the kernel's errno says why: EBUSY, a listener is there
		 * already (regress_supervise_nested) */
		child_fail(sock, -nfd, "seccomp_load");
	fcntl(nfd, F_SETFD, FD_CLOEXEC);
	/* The listener's number, for the supervisor to take with
	 * pidfd_getfd: a sendmsg (SCM_RIGHTS) may itself be trapped now, and
	 * nobody would answer it; then "K" if a taken call waits for its
	 * answer whatever non-fatal signal comes (load_filter). */
	{
		char msg[32];
		int len = snprintf(msg, sizeof msg, "N%d%s", nfd, killable ? " K" : "");

		if (write(sock, msg, (size_t)len) != len)
			_exit(127);
	}
	/* The supervisor holds the listener now: from here on every trapped
	 * call (the close of our copy of it, at exec) is answered. */
	if (read(sock, &go, 1) != 1)
		_exit(127);
	/* The mask the supervisor was started with, as the program would
	 * have had it (not the supervisor's own blocking of what it
	 * forwards): regress_supervise_signal_mask */
	sigprocmask(SIG_SETMASK, inherited, NULL);
	execvp(argv[0], argv);
	child_fail(sock, errno, argv[0]);
}
