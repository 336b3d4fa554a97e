/* A forked worker gets a connection in SCM_RIGHTS after the fork and
 * exit()s holding it with 6 bytes unread: the kernel resets the client.
 * The fork comes first, so the parent's table is complete when the child
 * is made (the shim walks /proc/self/fd before a fork, not at each
 * child's exit); the child must still learn the socket it received.
 * The parent closes its copy once the child has it (a handshake on the
 * channel), so that the child's exit is the last and the only one to
 * record the reset: its pid is printed on stderr ("child PID").
 *
 * pidfd_getfd: the child takes it from its parent with libc's
 * pidfd_getfd() (glibc 2.36), the parent letting it (PR_SET_PTRACER).
 *
 *   received_at_exit recvmsg|recvmmsg|syscall|pidfd_getfd
 * Prints "reset" or "eof" (what the client read), exits 0. */
#include "progs.h"

#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#if __GLIBC_PREREQ(2, 36)
#include <sys/pidfd.h>
#endif

/* The child takes the parent's number afd (sent as 4 bytes on sock),
 * then says so (one byte back). */
static void take_from_parent(int sock)
{
	int afd, pidfd;
	char done = 'd';

	if (read(sock, &afd, sizeof afd) != sizeof afd)
		die("read");
#if __GLIBC_PREREQ(2, 36)
	pidfd = pidfd_open(getppid(), 0);
	if (pidfd < 0 || pidfd_getfd(pidfd, afd, 0) < 0)
		die("pidfd_getfd");
#else
	(void)pidfd;
	errno = ENOSYS;
	die("pidfd_getfd (glibc before 2.36)");
#endif
	/* then waits for the parent to close its copy: this one is the last */
	if (write(sock, &done, 1) != 1 || read(sock, &done, 1) != 1)
		die("handshake");
	/* held, never read, never closed: exit() ends it */
}

static void take(int sock, const char *how)
{
	char byte, space[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = space, .msg_controllen = sizeof space};
	struct mmsghdr mm = {.msg_hdr = m};
	long got;

	if (strcmp(how, "recvmsg") == 0)
		got = recvmsg(sock, &m, 0);
	else if (strcmp(how, "recvmmsg") == 0)
		got = recvmmsg(sock, &mm, 1, 0, NULL) == 1 ? (long)mm.msg_len : -1;
	else
		got = syscall(SYS_recvmsg, sock, &m, 0);
	if (got != 1)
		die("receive");
	/* held, never read, never closed: exit() ends it */
}

int main(int argc, char **argv)
{
	int sp[2], port, lfd, cfd, afd, status;
	char buf[16], done;
	pid_t child;
	ssize_t n;

	if (argc != 2)
		return 2;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) != 0)
		die("socketpair");
	lfd = listen_loopback(0, &port);
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(sp[0]);
		close(lfd);
		if (strcmp(argv[1], "pidfd_getfd") == 0) {
			take_from_parent(sp[1]);
		} else {
			char ack = 'd';

			take(sp[1], argv[1]);
			/* then waits for the parent to close its copy */
			if (write(sp[1], &ack, 1) != 1 || read(sp[1], &ack, 1) != 1)
				die("handshake");
		}
		exit(0);
	}
	close(sp[1]);
	prctl(PR_SET_PTRACER, child, 0, 0, 0); /* (Yama) */
	cfd = connect_loopback(port);
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		die("accept");
	write_all(cfd, "unread", 6);
	if (await_queued(afd, 6) != 0) /* the 6 bytes in afd's receive queue */
		die("the request never came");
	fprintf(stderr, "child %d\n", (int)child);
	if (strcmp(argv[1], "pidfd_getfd") == 0) {
		if (write(sp[0], &afd, sizeof afd) != sizeof afd)
			die("write");
	} else {
		send_fd(sp[0], afd);
	}
	/* once the child has it: the child's copy is the last */
	if (read(sp[0], &done, 1) != 1)
		die("handshake");
	close(afd);
	if (write(sp[0], &done, 1) != 1)
		die("handshake");
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		die("child");
	n = read(cfd, buf, sizeof buf);
	puts(n < 0 && errno == ECONNRESET ? "reset" : n == 0 ? "eof" : "data");
	return 0;
}
