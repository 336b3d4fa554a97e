/* A server that shuts its side down and then closes with request bytes
 * unread, while the client's FIN is on its way: when the FIN arrives before
 * the close, the socket is done (TIME_WAIT) and the close sends nothing;
 * when after, the close resets.  The shim looked before the close, saw
 * FIN_WAIT2 and bytes unread, and wrote a close_rst, then the FIN came
 * first: a record for no reset, now and then (PHP's built-in server, a
 * Python server that calls shutdown() then close(): 1 in 200).  Made
 * certain here: a seccomp filter traps the close of the server's socket
 * (the program's, or the shim's real one), and the SIGSYS handler has the
 * client shut its side down first, then closes the socket itself with
 * close_range (not trapped).  Exits 0; 77 where seccomp filters cannot be
 * set, 4 if the trap never fired. */
#include "progs.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>

static int client, server;
static volatile sig_atomic_t trapped;

#if defined(__x86_64__)
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	greg_t *r = ((ucontext_t *)ctx)->uc_mcontext.gregs;

	(void)sig;
	if (si->si_syscall != SYS_close)
		_exit(10);
	trapped++;
	shutdown(client, SHUT_WR); /* the client's FIN, before the close */
	await_tcp_state(server, TCP_FIN_WAIT2, 0); /* (then done: TIME_WAIT) */
	r[REG_RAX] = raw_syscall3(SYS_close_range, server, server, 0);
}

int main(void)
{
	char req[100], buf[16];
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
	int port, lfd;

	memset(req, 'r', sizeof req);
	lfd = listen_loopback(0, &port);
	client = connect_loopback(port);
	server = accept(lfd, NULL, NULL);
	if (server < 0)
		die("accept");
	write_all(client, req, sizeof req); /* unread by the server */
	if (shutdown(server, SHUT_WR) != 0)
		die("shutdown");
	if (read(client, buf, sizeof buf) != 0) /* the server's FIN */
		die("read");
	if (await_tcp_state(server, TCP_FIN_WAIT2, 1) != 0) /* and its ACK */
		die("no FIN_WAIT2");
	{
		struct sock_filter f[] = {
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close, 0, 3),
			BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)server, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
			BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		};
		struct sock_fprog prog = {sizeof f / sizeof f[0], f};

		if (sigaction(SIGSYS, &sa, NULL) != 0)
			die("sigaction");
		/* installed unseen by the shim (it would step aside) */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
		    raw_syscall3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&prog) != 0)
			return 77;
	}
	close(server);
	usleep(20000);
	close(client);
	return trapped ? 0 : 4;
}
#else
int main(void)
{
	return 77;
}
#endif
