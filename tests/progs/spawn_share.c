/* A server hands each connection to another process and closes its own
 * copy at once, as CGI-style servers do; the other process answers after a
 * moment.  The client must get the answer, not an early end of stream.
 *
 *   spawn_share MODE WRITER     MODE: posix_spawn, system, vfork, sendmsg
 *   spawn_share vfork_close     a vfork child closes every descriptor; the
 *                               parent's graceful close and log still work
 *
 * WRITER is tests/progs/late_writer (argv: FD).  Prints what the client
 * received; exit 0 when it was the answer. */
#include "progs.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

static int client_reads(int c, const char *want)
{
	char buf[64];
	ssize_t n, total = 0;

	while ((n = read(c, buf + total, sizeof buf - 1 - (size_t)total)) > 0)
		total += n;
	buf[total] = '\0';
	printf("client: received \"%s\", then %s\n", buf, n == 0 ? "EOF" : strerror(errno));
	return strcmp(buf, want) != 0 || n != 0;
}

/* Receives a descriptor over the unix socket s and writes to it. */
static int receive_and_write(int s)
{
	char data, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&data, 1};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof ctl};
	int fd;

	if (recvmsg(s, &msg, 0) != 1)
		die("recvmsg");
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof fd);
	usleep(100000);
	write_all(fd, "hello", 5);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int port, lfd = listen_loopback(0, &port), c, s, rc;
	char fdarg[16], cmd[512];
	pid_t pid = -1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	c = connect_loopback(port);
	s = accept(lfd, NULL, NULL); /* inheritable: no SOCK_CLOEXEC */
	close(lfd);
	snprintf(fdarg, sizeof fdarg, "%d", s);
	if (strcmp(mode, "posix_spawn") == 0) {
		char *args[] = {argv[2], fdarg, NULL};

		if (posix_spawn(&pid, argv[2], NULL, NULL, args, environ) != 0)
			die("posix_spawn");
	} else if (strcmp(mode, "system") == 0) {
		snprintf(cmd, sizeof cmd, "%s %s &", argv[2], fdarg);
		if (system(cmd) != 0)
			die("system");
	} else if (strcmp(mode, "vfork") == 0) {
		char *args[] = {argv[2], fdarg, NULL};

		pid = vfork();
		if (pid == 0) {
			execv(argv[2], args);
			_exit(127);
		}
	} else if (strcmp(mode, "sendmsg") == 0) {
		int sv[2];
		char ctl[CMSG_SPACE(sizeof(int))];
		struct iovec iov = {"x", 1};
		struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				     .msg_controllen = sizeof ctl};
		struct cmsghdr *cm;

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
			die("socketpair");
		pid = fork();
		if (pid == 0) {
			close(c);
			close(s); /* the child has nothing but what it receives */
			_exit(receive_and_write(sv[1]));
		}
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &s, sizeof s);
		if (sendmsg(sv[0], &msg, 0) != 1)
			die("sendmsg");
	} else if (strcmp(mode, "vfork_close") == 0) {
		/* the child closes everything, the log's number and the
		 * connection included, then exits; s is close-on-exec, so no
		 * exec'd program would have kept it: it stays the parent's alone */
		fcntl(s, F_SETFD, FD_CLOEXEC);
		pid = vfork();
		if (pid == 0) {
			close_range(3, ~0U, 0);
			for (int fd = 3; fd < 1024; fd++)
				close(fd);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
		pid = -1;
		write_all(s, "hello", 5);
		write_all(c, "request bytes nobody reads", 26);
		if (await_queued(s, 26) != 0)
			die("the request never came");
		/* graceful (the parent's picture of s is intact): no reset */
		close(s);
		return client_reads(c, "hello");
	} else {
		return 2;
	}
	close(s); /* the server's copy; the other process still answers */
	rc = client_reads(c, "hello");
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return rc;
}
