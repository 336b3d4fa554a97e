/* Calls every interposed function, error cases included, and prints what
 * each returned and the errno it left.  Run once bare and once under the
 * shim (no variables set), the two outputs must be the same. */
#include "progs.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/wait.h>

/* One line per call: what, return value, and errno, also after a success
 * (it must still hold the sentinel the call found there). */
#define SHOW(what, call)                                                             \
	do {                                                                         \
		errno = EXDEV;                                                       \
		long ret_ = (long)(call);                                            \
		int err_ = errno;                                                    \
		printf("%-44s -> %ld %s\n", what, ret_,                              \
		       strerrorname_np(err_) ? strerrorname_np(err_) : "?");         \
	} while (0)

static int getint(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof v;

	if (getsockopt(fd, level, name, &v, &len) != 0)
		return -errno;
	return v;
}

int main(void)
{
	int tcp, udp, lfd, cfd, afd, p[2], sv[2], port, one = 1, zero = 0, tmp;
	struct linger lg = {1, 0};
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
	char tmpl[] = "/tmp/sockshim-pt-XXXXXX";
	pid_t pid;
	int status;

	setvbuf(stdout, NULL, _IOLBF, 0);

	/* socket */
	SHOW("socket(inet, stream)", tcp = socket(AF_INET, SOCK_STREAM, 0));
	SHOW("socket(inet, dgram|nonblock|cloexec)",
	     udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
	SHOW("socket(bad family)", socket(-1, SOCK_STREAM, 0));
	SHOW("socket(bad type)", socket(AF_INET, 99, 0));
	SHOW("socket(inet, stream, udp protocol)", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
	SHOW("SO_REUSEADDR untouched on tcp", getint(tcp, SOL_SOCKET, SO_REUSEADDR));
	SHOW("SO_REUSEPORT untouched on tcp", getint(tcp, SOL_SOCKET, SO_REUSEPORT));

	/* socketpair */
	SHOW("socketpair(unix, stream)", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	SHOW("socketpair(inet) unsupported", socketpair(AF_INET, SOCK_STREAM, 0, p));

	/* setsockopt */
	SHOW("setsockopt(SO_REUSEADDR=1)",
	     setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	SHOW("setsockopt(SO_REUSEADDR=0)",
	     setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &zero, sizeof zero));
	SHOW("SO_REUSEADDR after clearing", getint(tcp, SOL_SOCKET, SO_REUSEADDR));
	SHOW("setsockopt(SO_LINGER {1,0})", setsockopt(tcp, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	SHOW("setsockopt(bad level)", setsockopt(tcp, 12345, 1, &one, sizeof one));
	SHOW("setsockopt(bad name)", setsockopt(tcp, SOL_SOCKET, 12345, &one, sizeof one));
	SHOW("setsockopt(short optlen)", setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, 1));
	SHOW("setsockopt(NULL optval)", setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, NULL, 4));
	SHOW("setsockopt(bad fd)", setsockopt(-1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	SHOW("pipe", pipe(p));
	SHOW("setsockopt(pipe)", setsockopt(p[0], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));

	/* accept, accept4 */
	lfd = listen_loopback(0, &port);
	SHOW("accept(not listening)", accept(tcp, NULL, NULL));
	SHOW("accept(bad fd)", accept(-1, NULL, NULL));
	SHOW("accept(pipe)", accept(p[0], NULL, NULL));
	SHOW("accept4(bad flags)", accept4(lfd, NULL, NULL, 0x12345678));
	SHOW("fcntl(F_SETFL O_NONBLOCK)", fcntl(lfd, F_SETFL, O_NONBLOCK));
	SHOW("accept(nothing pending)", accept(lfd, NULL, NULL));
	cfd = connect_loopback(port);
	SHOW("accept4(cloexec)", afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC));
	SHOW("FD_CLOEXEC of accepted", fcntl(afd, F_GETFD));

	/* shutdown */
	SHOW("shutdown(SHUT_WR)", shutdown(afd, SHUT_WR));
	SHOW("shutdown(bad how)", shutdown(afd, 42));
	SHOW("shutdown(pipe)", shutdown(p[0], SHUT_RDWR));
	SHOW("shutdown(unconnected)", shutdown(tcp, SHUT_RDWR));
	SHOW("shutdown(bad fd)", shutdown(-1, SHUT_RDWR));

	/* dup, dup2, dup3 */
	SHOW("dup", tmp = dup(afd));
	SHOW("close(dup)", close(tmp));
	SHOW("dup(bad fd)", dup(-1));
	SHOW("dup2 onto itself", dup2(afd, afd));
	SHOW("dup2(closed fd onto itself)", dup2(tmp, tmp));
	SHOW("dup2(to 50)", dup2(afd, 50));
	SHOW("dup2(to 50 again)", dup2(cfd, 50));
	SHOW("dup2(bad newfd)", dup2(afd, -1));
	SHOW("dup3(same fd)", dup3(afd, afd, 0));
	SHOW("dup3(to 51, O_CLOEXEC)", dup3(afd, 51, O_CLOEXEC));
	SHOW("FD_CLOEXEC of 51", fcntl(51, F_GETFD));
	SHOW("dup3(bad flags)", dup3(afd, 52, 0x4));

	/* fcntl */
	SHOW("fcntl(F_DUPFD, 100)", fcntl(afd, F_DUPFD, 100));
	SHOW("fcntl(F_DUPFD_CLOEXEC, 100)", fcntl(afd, F_DUPFD_CLOEXEC, 100));
	SHOW("fcntl(F_DUPFD, -1)", fcntl(afd, F_DUPFD, -1));
	SHOW("fcntl(F_GETFD)", fcntl(afd, F_GETFD));
	SHOW("fcntl(F_SETFD, 0)", fcntl(afd, F_SETFD, 0));
	SHOW("fcntl(F_GETFL) & O_ACCMODE", fcntl(afd, F_GETFL) & O_ACCMODE);
	SHOW("fcntl(F_GETPIPE_SZ)", fcntl(p[0], F_GETPIPE_SZ));
	SHOW("fcntl(bad cmd)", fcntl(afd, 987654));
	SHOW("fcntl(bad fd)", fcntl(-1, F_GETFD));
	tmp = mkstemp(tmpl);
	unlink(tmpl);
	SHOW("fcntl(F_SETLK, &flock)", fcntl(tmp, F_SETLK, &fl));
	fl.l_type = F_RDLCK;
	SHOW("fcntl(F_GETLK, &flock)", fcntl(tmp, F_GETLK, &fl));
	SHOW("  flock.l_type after F_GETLK", fl.l_type);
	SHOW("fcntl(F_SETLK, bad pointer)", fcntl(tmp, F_SETLK, (struct flock *)8));
	SHOW("fcntl(F_SETLK, NULL)", fcntl(tmp, F_SETLK, NULL));
	SHOW("fcntl(F_OFD_GETLK, &flock)", fcntl(tmp, F_OFD_GETLK, &fl));
	SHOW("close(tmp file)", close(tmp));

	/* close_range over a gap */
	SHOW("dup2(to 60)", dup2(afd, 60));
	SHOW("dup2(to 62)", dup2(afd, 62));
	SHOW("close_range(60, 63) with a gap", close_range(60, 63, 0));
	SHOW("fcntl(60, F_GETFD) after", fcntl(60, F_GETFD));
	SHOW("fcntl(62, F_GETFD) after", fcntl(62, F_GETFD));
	SHOW("dup2(to 70)", dup2(afd, 70));
	SHOW("close_range(70, 70, CLOEXEC)", close_range(70, 70, CLOSE_RANGE_CLOEXEC));
	SHOW("FD_CLOEXEC of 70", fcntl(70, F_GETFD));
	SHOW("close_range(first > last)", close_range(9, 8, 0));
	SHOW("close_range(bad flags)", close_range(60, 63, 0x40));
	SHOW("close_range(empty range)", close_range(200, 300, 0));
	SHOW("dup2(to 80)", dup2(afd, 80));
	closefrom(75);
	SHOW("fcntl(80, F_GETFD) after closefrom(75)", fcntl(80, F_GETFD));
	SHOW("fcntl(70, F_GETFD) after closefrom(75)", fcntl(70, F_GETFD));

	/* recvmsg and recvmmsg: data, a descriptor in SCM_RIGHTS, errors */
	{
		char byte = 'r', got = 0, space[CMSG_SPACE(sizeof(int))];
		struct iovec iov = {&byte, 1}, riov = {&got, 1};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
				   .msg_control = space, .msg_controllen = sizeof space};
		struct msghdr r = {.msg_iov = &riov, .msg_iovlen = 1,
				   .msg_control = space, .msg_controllen = sizeof space};
		struct mmsghdr mm = {.msg_hdr = r};
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &afd, sizeof afd);
		SHOW("sendmsg(SCM_RIGHTS)", sendmsg(sv[0], &m, 0));
		SHOW("recvmsg(SCM_RIGHTS)", recvmsg(sv[1], &r, 0));
		SHOW("  controllen, byte", r.msg_controllen * 1000 + got);
		memcpy(&tmp, CMSG_DATA(CMSG_FIRSTHDR(&r)), sizeof tmp);
		SHOW("  received is a socket", getint(tmp, SOL_SOCKET, SO_TYPE));
		SHOW("close(received)", close(tmp));
		SHOW("send(1 byte)", send(sv[0], "m", 1, 0));
		SHOW("recvmmsg(1)", recvmmsg(sv[1], &mm, 1, 0, NULL));
		SHOW("  msg_len, controllen", mm.msg_len * 1000 + mm.msg_hdr.msg_controllen);
		SHOW("recvmsg(nothing, MSG_DONTWAIT)", recvmsg(sv[1], &r, MSG_DONTWAIT));
		SHOW("recvmmsg(nothing, MSG_DONTWAIT)", recvmmsg(sv[1], &mm, 1, MSG_DONTWAIT, NULL));
		SHOW("recvmsg(bad fd)", recvmsg(-1, &r, 0));
		SHOW("recvmsg(pipe)", recvmsg(p[0], &r, 0));
		SHOW("recvmmsg(bad fd)", recvmmsg(-1, &mm, 1, 0, NULL));
		SHOW("recvmsg(NULL msg)", recvmsg(sv[1], NULL, MSG_DONTWAIT));
	}

	/* fork */
	pid = fork();
	if (pid == 0)
		_exit(close(afd) == 0 ? 7 : 8);
	SHOW("waitpid", waitpid(pid, &status, 0) == pid);
	SHOW("child exit status", WEXITSTATUS(status));

	/* close of sockets the shim looks at before they go: one with unread
	 * bytes, one whose peer reset it */
	{
		int c2 = connect_loopback(port), a2, c3, a3;
		struct linger lz = {1, 0};

		while ((a2 = accept(lfd, NULL, NULL)) < 0)
			;
		write_all(c2, "unread", 6);
		usleep(20000);
		SHOW("close(socket with unread bytes)", close(a2));
		usleep(20000);
		SHOW("close(socket reset by its peer)", close(c2));
		c3 = connect_loopback(port);
		while ((a3 = accept(lfd, NULL, NULL)) < 0)
			;
		setsockopt(a3, SOL_SOCKET, SO_LINGER, &lz, sizeof lz);
		SHOW("close(SO_LINGER {1,0})", close(a3));
		usleep(20000);
		SHOW("close(peer of SO_LINGER {1,0})", close(c3));
	}

	/* close */
	SHOW("close(accepted)", close(afd));
	SHOW("close(accepted) again", close(afd));
	SHOW("close(-1)", close(-1));
	SHOW("close(huge)", close(1 << 30));
	SHOW("close(tcp)", close(tcp));
	SHOW("close(udp)", close(udp));
	SHOW("close(listener)", close(lfd));
	SHOW("close(client)", close(cfd));
	SHOW("close(50)", close(50));
	SHOW("close(51)", close(51));
	SHOW("close(pipe r)", close(p[0]));
	SHOW("close(pipe w)", close(p[1]));
	SHOW("close(sv0)", close(sv[0]));
	SHOW("close(sv1)", close(sv[1]));
	return 0;
}
