/* sandboxed_exit prctl|syscall: a program that puts itself under a seccomp
 * filter of its own, as OpenSSH's pre-authentication child does, and then
 * closes one connection and exits holding another, each with bytes unread
 * (both reset their peer, bare).  The filter kills the process at the
 * system calls a program's sandbox does not list but the shim made at
 * such a close or exit (the count of unread bytes, the socket's state and
 * names, its own netlink socket, a look at the stack).  Installed with
 * prctl(PR_SET_SECCOMP) or with syscall(SYS_seccomp).  Exits 0; killed by
 * SIGSYS if anything made one of those calls after the filter.  Exits 77
 * where seccomp filters cannot be set. */
#include "progs.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static const int killed[] = {
	SYS_ioctl,    SYS_getsockopt, SYS_getpeername, SYS_getsockname, SYS_recvfrom,
	SYS_socket,   SYS_sendto,     SYS_openat,	   SYS_fcntl,	    SYS_getpid,
	SYS_gettid,   SYS_process_vm_readv, SYS_mincore,   SYS_getdents64,  SYS_readlinkat,
	SYS_fstat,    SYS_newfstatat,
};

static int install(bool with_syscall)
{
	struct sock_filter f[64];
	unsigned k = 0, n = sizeof killed / sizeof killed[0];
	struct sock_fprog prog;

	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (unsigned i = 0; i < n; i++)
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)killed[i],
						      (unsigned char)(n - i), 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	prog = (struct sock_fprog){(unsigned short)k, f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	if (with_syscall)
		return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

NOINLINE static void close_unread(int fd)
{
	close(fd);
}

int main(int argc, char **argv)
{
	char req[64];
	int port, lfd, c1, c2, s1, s2;

	if (argc != 2 || (strcmp(argv[1], "prctl") && strcmp(argv[1], "syscall")))
		return 2;
	memset(req, 'r', sizeof req);
	lfd = listen_loopback(0, &port);
	c1 = connect_loopback(port);
	s1 = accept(lfd, NULL, NULL);
	c2 = connect_loopback(port);
	s2 = accept(lfd, NULL, NULL);
	if (s1 < 0 || s2 < 0)
		die("accept");
	write_all(c1, req, sizeof req);
	write_all(c2, req, sizeof req);
	/* both requests in their receive queues */
	if (await_queued(s1, sizeof req) != 0 || await_queued(s2, sizeof req) != 0)
		die("the requests never came");
	if (install(!strcmp(argv[1], "syscall")) != 0)
		return 77;
	close_unread(s1);
	exit(0); /* s2 still open, its request unread */
}
