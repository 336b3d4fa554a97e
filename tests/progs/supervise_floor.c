/* make bench's floor for the supervisor: runs a program with close(2)
 * trapped by seccomp user notification, as sockshim-supervise traps it,
 * and answers every trapped call at once with "continue", looking at
 * nothing.  What any supervisor that sees a program's closes costs it,
 * before any work of its own: two context switches a close, and the
 * kernel's notification path.
 *   supervise_floor PROGRAM [ARG...]     exit status: the program's */
#include "progs.h"

#include <poll.h>
#include <seccomp.h>
#include <sys/wait.h>

/* The child: the filter, its listener sent to the parent, then the
 * program (the trapped close of the socket waits for the parent's loop). */
static void __attribute__((noreturn)) child(int sock, char **argv)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int nfd;

	if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(close), 0) != 0 ||
	    seccomp_load(ctx) != 0)
		die("supervise_floor: seccomp");
	nfd = seccomp_notify_fd(ctx);
	if (nfd < 0)
		die("supervise_floor: seccomp_notify_fd");
	send_fd(sock, nfd);
	close(nfd);
	close(sock);
	execvp(argv[0], argv);
	die("supervise_floor: exec");
	exit(127);
}

int main(int argc, char **argv)
{
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	int sv[2], nfd, status;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: supervise_floor PROGRAM [ARG...]\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		die("supervise_floor: socketpair");
	pid = fork();
	if (pid < 0)
		die("supervise_floor: fork");
	if (pid == 0)
		child(sv[1], argv + 1);
	close(sv[1]);
	nfd = recv_fd(sv[0]);
	if (nfd < 0)
		die("supervise_floor: no listener");
	if (seccomp_notify_alloc(&req, &resp) != 0)
		die("supervise_floor: seccomp_notify_alloc");
	for (;;) {
		struct pollfd p = {.fd = nfd, .events = POLLIN};

		/* POLLHUP: no task is left under the filter */
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			die("supervise_floor: poll");
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
		die("supervise_floor: waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
