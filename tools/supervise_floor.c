/* make bench's floor for the supervisor: runs a program with close(2)
 * trapped by seccomp user notification, as sockshim-supervise traps it,
 * and answers every trapped call at once with "continue", looking at
 * nothing.  What any supervisor that sees a program's closes costs it,
 * before any work of its own: two context switches a close, and the
 * kernel's notification path.
 *   supervise-floor PROGRAM [ARG...]     exit status: the program's */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(125);
}

/* The child: the filter, its listener sent to the parent, then the
 * program (the trapped close of the socket waits for the parent's loop). */
static void __attribute__((noreturn)) child(int sock, char **argv)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	char byte = 0;
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			   .msg_controllen = sizeof u.buf};
	int nfd;

	if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(close), 0) != 0 ||
	    seccomp_load(ctx) != 0)
		die("supervise-floor: seccomp");
	nfd = seccomp_notify_fd(ctx);
	if (nfd < 0)
		die("supervise-floor: seccomp_notify_fd");
	memset(u.buf, 0, sizeof u.buf);
	CMSG_FIRSTHDR(&m)->cmsg_level = SOL_SOCKET;
	CMSG_FIRSTHDR(&m)->cmsg_type = SCM_RIGHTS;
	CMSG_FIRSTHDR(&m)->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), &nfd, sizeof nfd);
	if (sendmsg(sock, &m, 0) != 1)
		die("supervise-floor: sendmsg");
	close(nfd);
	close(sock);
	execvp(argv[0], argv);
	die("supervise-floor: exec");
	exit(127);
}

static int receive_listener(int sock)
{
	char byte;
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			   .msg_controllen = sizeof u.buf};
	int fd;

	if (recvmsg(sock, &m, 0) != 1 || !CMSG_FIRSTHDR(&m) ||
	    CMSG_FIRSTHDR(&m)->cmsg_type != SCM_RIGHTS)
		die("supervise-floor: no listener");
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
	return fd;
}

int main(int argc, char **argv)
{
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	int sv[2], nfd, status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: supervise-floor PROGRAM [ARG...]\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		die("supervise-floor: socketpair");
	pid = fork();
	if (pid < 0)
		die("supervise-floor: fork");
	if (pid == 0)
		child(sv[1], argv + 1);
	close(sv[1]);
	nfd = receive_listener(sv[0]);
	if (seccomp_notify_alloc(&req, &resp) != 0)
		die("supervise-floor: seccomp_notify_alloc");
	for (;;) {
		struct pollfd p = {.fd = nfd, .events = POLLIN};

		/* POLLHUP: no task is left under the filter */
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			die("supervise-floor: poll");
		if (p.revents & POLLIN) {
			memset(req, 0, sizeof *req);
			if (seccomp_notify_receive(nfd, req) != 0)
				continue; /* the caller is gone (a signal) */
			memset(resp, 0, sizeof *resp);
			resp->id = req->id;
			resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
			(void)seccomp_notify_respond(nfd, resp);
		} else if (p.revents & (POLLHUP | POLLERR)) {
			break;
		}
	}
	if (waitpid(pid, &status, 0) != pid)
		die("supervise-floor: waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
