/* A forked worker gets a connection in SCM_RIGHTS after the fork and
 * exit()s holding it with 6 bytes unread: the kernel resets the client.
 * The fork comes first, so the parent's table is complete when the child
 * is made (the shim walks /proc/self/fd before a fork, not at each
 * child's exit); the child must still learn the socket it received.
 *
 *   received_at_exit recvmsg|recvmmsg|syscall
 * Prints "reset" or "eof" (what the client read), exits 0. */
#include "progs.h"

#include <sys/syscall.h>
#include <sys/wait.h>

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

static void give(int sock, int fd)
{
	char byte = 'f', space[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = space, .msg_controllen = sizeof space};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	memset(space, 0, sizeof space);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	if (sendmsg(sock, &m, 0) != 1)
		die("sendmsg");
}

int main(int argc, char **argv)
{
	int sp[2], port, lfd, cfd, afd, status;
	char buf[16];
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
		take(sp[1], argv[1]);
		exit(0);
	}
	close(sp[1]);
	cfd = connect_loopback(port);
	afd = accept(lfd, NULL, NULL);
	if (afd < 0)
		die("accept");
	write_all(cfd, "unread", 6);
	usleep(20000); /* the 6 bytes are in afd's receive queue */
	give(sp[0], afd);
	close(afd); /* the child's copy is the last */
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		die("child");
	n = read(cfd, buf, sizeof buf);
	puts(n < 0 && errno == ECONNRESET ? "reset" : n == 0 ? "eof" : "data");
	return 0;
}
