/* Children made in namespaces of their own (clone with CLONE_NEWPID or
 * CLONE_NEWNET; root only).
 *
 *   clone_namespaces net
 *       A connection to itself with bytes unread on the client's side too;
 *       a child made by syscall(SYS_clone, CLONE_NEWNET | SIGCHLD) reads 3
 *       bytes of the request, answers, and _exits holding both ends (a
 *       reset of the served one, only if it is the last: the parent
 *       closed its copy); the parent then reads the answer and says how
 *       it ended: "client got N bytes then EOF|<error>".
 *   clone_namespaces pid
 *       The parent forks a sibling S (which waits 0.5 s, then makes 30
 *       double-close-like records, close(-1), and exits), and clones a
 *       child C in a new pid namespace that makes 30 such records, says
 *       so through a pipe and waits; the parent kills C (SIGKILL) and
 *       exits before S: every one of the 60 records is written or counted
 *       in a suppressed record.  (The parent used to kill C after a fixed
 *       200 ms: a C late to run would have made fewer than 30.) */
#include "progs.h"

#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>

NOINLINE void bad_close(void)
{
	close(-1);
}

static int child_c(void *arg)
{
	int done = *(int *)arg;

	for (int i = 0; i < 30; i++)
		bad_close();
	if (write(done, "", 1) != 1)
		_exit(2);
	pause();
	return 0;
}

static int net(void)
{
	int port, lfd = listen_loopback(0, &port), c = connect_loopback(port), s, n, tot = 0;
	char buf[64];
	const char *end = "EOF";
	long p;

	s = accept(lfd, NULL, NULL);
	if (s < 0)
		die("accept");
	write_all(c, "reqEXTRA-UNREAD", 15);
	usleep(10 * 1000);
	p = syscall(SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
	if (p < 0)
		die("clone");
	if (p == 0) {
		char b[3];

		if (read(s, b, 3) != 3)
			_exit(2);
		write_all(s, "answer", 6);
		_exit(0);
	}
	close(s);
	waitpid((pid_t)p, NULL, 0);
	for (;;) {
		n = (int)read(c, buf, sizeof buf);
		if (n > 0) {
			tot += n;
			continue;
		}
		if (n < 0)
			end = strerror(errno);
		break;
	}
	printf("client got %d bytes then %s\n", tot, end);
	return 0;
}

static int pid(void)
{
	static char stack[256 * 1024];
	int done[2];
	char byte;
	pid_t s, c;

	if (pipe(done) < 0)
		die("pipe");
	s = fork();
	if (s < 0)
		die("fork");
	if (s == 0) {
		usleep(500 * 1000);
		for (int i = 0; i < 30; i++) {
			bad_close();
			usleep(10 * 1000);
		}
		_exit(0);
	}
	c = clone(child_c, stack + sizeof stack, CLONE_NEWPID | SIGCHLD, &done[1]);
	if (c < 0)
		die("clone");
	if (read(done[0], &byte, 1) != 1)
		die("read of C's pipe");
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	return 0; /* before S: S is the last of the tree */
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "net") == 0)
		return net();
	if (argc == 2 && strcmp(argv[1], "pid") == 0)
		return pid();
	fprintf(stderr, "usage: clone_namespaces net|pid\n");
	return 2;
}
