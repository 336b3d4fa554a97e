/* One thread receives a connection in SCM_RIGHTS while another forks: the
 * fork comes after the kernel has put the descriptor in the process's
 * table and before the receiving call has returned to the program.  The
 * parent closes its copies (without libc: a raw system call, so that no
 * graceful close of the parent's acts on them), the child exit()s
 * holding the connection, 6 bytes unread: under SOCKSHIM_GRACEFUL=always
 * the child's exit must close it gracefully (the client reads EOF, not a
 * reset), which it can only if it learned the socket (the shim's table,
 * complete before the receive, is not: the receive's marking came after
 * the fork).
 *
 * The moment is made exact with ptrace: a helper process (forked first:
 * the shim reads /proc/self/fd before that fork, so the table is complete
 * from then on) stops the receiving thread at the recvmsg system call's
 * exit (syscall-exit-stop: the descriptor installed), the main thread
 * forks, then the helper lets the thread go on.  x86_64 only.
 *
 *   fork_during_receive
 * Prints "child PID" on stderr, then what the client read ("reset", "eof",
 * "data"); exits 0, 3 if ptrace is not allowed here. */
#include "progs.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

static int sp[2];	/* the SCM_RIGHTS channel */
static int to_tracer[2], from_tracer[2], go_thread[2], go_child[2];

/* The helper: stops thread tid at the exit of its next recvmsg. */
static void tracer(void)
{
	pid_t tid = get_int(to_tracer[0]);
	struct user_regs_struct r;
	int st;

	if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACESYSGOOD) != 0) {
		put_int(from_tracer[1], -1);
		_exit(0);
	}
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0 || waitpid(tid, &st, __WALL) != tid)
		die("interrupt");
	if (ptrace(PTRACE_SYSCALL, tid, 0, 0) != 0)
		die("PTRACE_SYSCALL");
	put_int(go_thread[1], 1); /* the thread may go on to its recvmsg */
	for (;;) {
		if (waitpid(tid, &st, __WALL) != tid || !WIFSTOPPED(st))
			die("waitpid");
		if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
			if (ptrace(PTRACE_GETREGS, tid, 0, &r) != 0)
				die("GETREGS");
			if (r.orig_rax == SYS_recvmsg && (long)r.rax != -ENOSYS)
				break; /* its exit: the descriptor is in the table */
		}
		if (ptrace(PTRACE_SYSCALL, tid, 0, 0) != 0)
			die("PTRACE_SYSCALL");
	}
	put_int(from_tracer[1], 1); /* stopped there */
	get_int(to_tracer[0]);	/* the fork is made */
	ptrace(PTRACE_DETACH, tid, 0, 0);
	_exit(0);
}

static void raw_close(int fd)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_close), "D"((long)fd) : "rcx", "r11", "memory");
	(void)r;
}

static void *receiver(void *arg)
{
	char byte, space[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = space, .msg_controllen = sizeof space};
	int fd;

	(void)arg;
	put_int(to_tracer[1], (int)syscall(SYS_gettid));
	get_int(go_thread[0]);
	if (recvmsg(sp[1], &m, 0) != 1 || !CMSG_FIRSTHDR(&m))
		die("recvmsg");
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
	raw_close(fd); /* the child's copy is the last */
	return NULL;
}

int main(void)
{
	int port, lfd, cfd, afd, status;
	pid_t helper, child;
	pthread_t t;
	char buf[16];
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0 || pipe(to_tracer) != 0 ||
	    pipe(from_tracer) != 0 || pipe(go_thread) != 0 || pipe(go_child) != 0)
		die("socketpair/pipe");
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
	write_all(cfd, "unread", 6);
	if (await_queued(afd, 6) != 0) /* the 6 bytes in afd's receive queue */
		die("the request never came");
	send_fd(sp[0], afd);
	/* the one in flight, and then the receiver's; without libc (no
	 * graceful close here either), the number taken again at once so that
	 * the received one gets a number the shim never saw */
	raw_close(afd);
	if (open("/dev/null", O_RDONLY) != afd)
		die("open");
	if (pthread_create(&t, NULL, receiver, NULL) != 0)
		die("pthread_create");
	if (get_int(from_tracer[0]) < 0) {
		fprintf(stderr, "ptrace not allowed here\n");
		return 3;
	}
	/* the receiver is stopped at its recvmsg's exit */
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		get_int(go_child[0]);
		exit(0); /* holding the received connection, unread */
	}
	fprintf(stderr, "child %d\n", (int)child);
	put_int(to_tracer[1], 1);
	pthread_join(t, NULL);
	put_int(go_child[1], 1);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		die("child");
	waitpid(helper, &status, 0);
	n = read(cfd, buf, sizeof buf);
	puts(n < 0 && errno == ECONNRESET ? "reset" : n == 0 ? "eof" : "data");
	return 0;
}
