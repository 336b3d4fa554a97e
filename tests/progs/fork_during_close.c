/* One thread closes a connection while another forks: the fork comes
 * after the close's claim of the shim's table entry and before the kernel
 * has closed the number.  The shim's walk of /proc/self/fd before the fork
 * (made because something came unseen since the last: here a pipe end
 * received in SCM_RIGHTS) finds the number still open, its entry marked
 * closed: it must not take it for a socket held unseen and overwrite the
 * close's mark, or the program's later second close of that number is
 * recorded as a close_error instead of a double_close.
 *
 * The moment is made exact with ptrace: a helper process (forked first)
 * stops the closing thread at the close system call's entry (the shim's
 * claim made, the number still open), the main thread forks (its child
 * _exit()s at once), then the helper lets the thread go on.  x86_64 only.
 *
 *   fork_during_close
 * Prints "fd N" on stderr, then closes N a second time itself; exits 0, 3
 * if ptrace is not allowed here. */
#include "progs.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

static int to_tracer[2], from_tracer[2], go_thread[2];
static int afd;

/* The helper: stops thread tid at the entry of its close(afd). */
static void tracer(void)
{
	pid_t tid = get_int(to_tracer[0]);
	int fd = get_int(to_tracer[0]), st; /* (afd: made after this fork) */
	struct user_regs_struct r;

	if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACESYSGOOD) != 0) {
		put_int(from_tracer[1], -1);
		_exit(0);
	}
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0 || waitpid(tid, &st, __WALL) != tid)
		die("interrupt");
	if (ptrace(PTRACE_SYSCALL, tid, 0, 0) != 0)
		die("PTRACE_SYSCALL");
	put_int(go_thread[1], 1); /* the thread may go on to its close */
	for (;;) {
		if (waitpid(tid, &st, __WALL) != tid || !WIFSTOPPED(st))
			die("waitpid");
		if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
			if (ptrace(PTRACE_GETREGS, tid, 0, &r) != 0)
				die("GETREGS");
			if (r.orig_rax == SYS_close && (long)r.rax == -ENOSYS && (int)r.rdi == fd)
				break; /* its entry: claimed, not yet closed */
		}
		if (ptrace(PTRACE_SYSCALL, tid, 0, 0) != 0)
			die("PTRACE_SYSCALL");
	}
	put_int(from_tracer[1], 1); /* stopped there */
	get_int(to_tracer[0]);	/* the fork is made */
	ptrace(PTRACE_DETACH, tid, 0, 0);
	_exit(0);
}

static void *closer(void *arg)
{
	(void)arg;
	put_int(to_tracer[1], (int)syscall(SYS_gettid));
	put_int(to_tracer[1], afd);
	get_int(go_thread[0]);
	if (close(afd) != 0)
		die("close");
	return NULL;
}

/* A pipe end sent to itself in SCM_RIGHTS: something came unseen, the
 * next fork walks /proc/self/fd again. */
static void receive_something(void)
{
	int sp[2], p[2], fd;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0 || pipe(p) != 0)
		die("socketpair/pipe");
	send_fd(sp[0], p[0]);
	if ((fd = recv_fd(sp[1])) < 0)
		die("recvmsg");
	close(fd);
	close(p[0]);
	close(p[1]);
	close(sp[0]);
	close(sp[1]);
}

int main(void)
{
	int port, lfd, cfd, status;
	pid_t helper, child;
	pthread_t t;

	if (pipe(to_tracer) != 0 || pipe(from_tracer) != 0 || pipe(go_thread) != 0)
		die("pipe");
	helper = fork();
	if (helper < 0)
		die("fork");
	if (helper == 0)
		tracer();
	prctl(PR_SET_PTRACER, helper, 0, 0, 0); /* (Yama) */
	lfd = listen_loopback(0, &port);
	cfd = connect_loopback(port);
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		die("accept");
	receive_something();
	fprintf(stderr, "fd %d\n", afd);
	if (pthread_create(&t, NULL, closer, NULL) != 0)
		die("pthread_create");
	if (get_int(from_tracer[0]) < 0) {
		fprintf(stderr, "ptrace not allowed here\n");
		return 3;
	}
	/* the closer is stopped at its close's entry */
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0)
		_exit(0);
	put_int(to_tracer[1], 1);
	pthread_join(t, NULL);
	waitpid(child, &status, 0);
	waitpid(helper, &status, 0);
	close(afd); /* the program's own bug: a second close */
	close(cfd);
	return 0;
}
