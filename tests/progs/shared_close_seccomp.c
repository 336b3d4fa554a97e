/* shared_close_seccomp MODE: the close of a socket shared by fork, with
 * bytes unread, while a seccomp filter on getpeername(2) steers what the
 * shim sees as it decides (the program itself never calls getpeername;
 * the shim asks it to name the socket for the kernel's look-up after the
 * close).  A client sends a request and shuts down its side; the server
 * accepts and forks; the parent closes its copy of the connection, and
 * the child then reads the whole request and closes its own.
 *
 * MODE read-during: a forking server's race, made certain.  The child's
 * read falls between the shim's count of the unread bytes and the close,
 * as it does now and then in a real forking server whose child is quick:
 * the filter traps getpeername (SECCOMP_RET_TRAP), and the SIGSYS handler
 * lets the child read and close, waits for it, and answers getpeername
 * itself.  The parent's close is then the last reference, with nothing
 * unread: a FIN, no reset, and the client reads the end of the stream.
 * Exits 0 if the client saw a clean end, 3 if it saw a reset, 4 if the
 * trap never fired (nothing asked for the peer's address: the case did
 * not show).
 *
 * MODE read-after-close: the same race, later.  The child reads and closes
 * after the parent's close, before the shim asks the kernel whether the
 * socket outlived it: the filter traps the shim's socket(AF_NETLINK), and
 * the handler lets the child read and close, waits for it, and answers
 * with a copy of a netlink socket made beforehand.  The parent's close
 * was not the last reference; the child's was, with nothing unread.
 * Exits as read-during.
 *
 * MODE identify-fails: getpeername fails with ENOTCONN (as when the peer's
 * reset arrives while the shim looks; the SIGSYS handler answers so), the
 * child still holding the socket.  The close succeeds, and must leave
 * errno as the program had it.  Exits 0 if it did, 3 if close() failed, 5
 * if errno changed, 4 if the trap never fired.
 *
 * Exits 77 where seccomp filters cannot be set. */
#include "progs.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>

static struct sockaddr_storage peer;
static socklen_t peer_len;
static int go[2], done[2];
static volatile sig_atomic_t trapped;
static bool identify_fails, after_close;
static int netlink = -1; /* (read-after-close: what the trapped socket() gives) */

#if defined(__x86_64__)
/* In place of the trapped getpeername: the child reads and closes first;
 * then the answer the kernel would have given (the peer accept named). */
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	greg_t *r = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	struct sockaddr *addr = (struct sockaddr *)r[REG_RSI];
	socklen_t *len = (socklen_t *)r[REG_RDX];
	char c = 'g';

	(void)sig;
	if (after_close && si->si_syscall == SYS_socket) {
		if (!trapped++) {
			if (write(go[1], &c, 1) != 1 || read(done[0], &c, 1) != 1)
				_exit(11);
			nanosleep(&(struct timespec){0, 20000000}, NULL); /* the client's
				last ACK in, the socket gone */
		}
		r[REG_RAX] = fcntl(netlink, F_DUPFD_CLOEXEC, 0);
		return;
	}
	if (si->si_syscall != SYS_getpeername)
		_exit(10);
	if (identify_fails) {
		trapped++;
		r[REG_RAX] = -ENOTCONN;
		return;
	}
	if (!trapped++) {
		if (write(go[1], &c, 1) != 1 || read(done[0], &c, 1) != 1)
			_exit(11);
	}
	memcpy(addr, &peer, *len < peer_len ? *len : peer_len);
	*len = peer_len;
	r[REG_RAX] = 0;
}

/* The filter, installed with a system call of its own, which the shim
 * does not see: a filter it sees (prctl, syscall()) makes it step aside,
 * as for a program's sandbox (regress_sandboxed_program), and the case
 * could not show. */
static long install_unseen(const struct sock_fprog *prog)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"((long)SYS_seccomp), "D"((long)SECCOMP_SET_MODE_FILTER), "S"(0L),
			   "d"(prog)
			 : "rcx", "r11", "memory");
	return r;
}

/* getpeername, or (read-after-close) socket(AF_NETLINK, ...) */
static void trap_getpeername(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
	struct sock_filter named[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpeername, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_filter nl[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof named / sizeof named[0], named};

	if (after_close)
		prog = (struct sock_fprog){sizeof nl / sizeof nl[0], nl};

	if (sigaction(SIGSYS, &sa, NULL) != 0)
		die("sigaction");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || install_unseen(&prog) != 0)
		exit(77);
}

NOINLINE static int close_in_parent(int fd)
{
	int ret = close(fd);

	__asm__ volatile("" ::: "memory");
	return ret;
}

int main(int argc, char **argv)
{
	char req[64], buf[256];
	int lfd, port, client, s, status, ret, err;
	ssize_t n;
	pid_t child;

	if (argc != 2 || (strcmp(argv[1], "read-during") && strcmp(argv[1], "identify-fails") &&
			  strcmp(argv[1], "read-after-close")))
		return 2;
	identify_fails = !strcmp(argv[1], "identify-fails");
	after_close = !strcmp(argv[1], "read-after-close");
	if (after_close &&
	    (netlink = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) < 0)
		die("socket(AF_NETLINK)");

	memset(req, 'r', sizeof req);
	lfd = listen_loopback(0, &port);
	client = connect_loopback(port);
	write_all(client, req, sizeof req);
	if (shutdown(client, SHUT_WR) != 0)
		die("shutdown");
	peer_len = sizeof peer;
	s = accept(lfd, (struct sockaddr *)&peer, &peer_len);
	if (s < 0)
		die("accept");
	/* the request and its FIN in s's receive queue */
	if (await_queued(s, sizeof req) != 0 || await_tcp_state(s, TCP_CLOSE_WAIT, 1) != 0)
		die("the request and its FIN never came");
	if (pipe(go) != 0 || pipe(done) != 0)
		die("pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		char c;
		size_t got = 0;

		close(lfd);
		if (read(go[0], &c, 1) != 1)
			_exit(7);
		while ((n = read(s, buf, sizeof buf)) > 0)
			got += (size_t)n;
		close(s);
		_exit(got == sizeof req && n == 0 && write(done[1], "d", 1) == 1 ? 0 : 8);
	}
	/* (a child gone without a word ends the handler's wait) */
	close(go[0]);
	close(done[1]);
	trap_getpeername();
	errno = EDOM;
	ret = close_in_parent(s);
	err = errno;
	if ((!trapped || identify_fails) && write(go[1], "g", 1) != 1) /* the child goes on */
		die("write");
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		die("child");
	if (!trapped)
		return 4;
	if (identify_fails)
		return ret != 0 ? 3 : err != EDOM ? 5 : 0;
	n = read(client, buf, sizeof buf);
	if (n < 0 && errno == ECONNRESET)
		return 3;
	return n == 0 ? 0 : 9;
}
#else
int main(void)
{
	return 77; /* the trap's registers are x86_64's */
}
#endif
