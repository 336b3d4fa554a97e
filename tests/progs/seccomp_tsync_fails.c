/* A seccomp filter the kernel refuses to put in place: another thread of
 * the process has a filter of its own, so a filter with
 * SECCOMP_FILTER_FLAG_TSYNC cannot be synchronised, and seccomp() returns
 * that thread's id (a positive number) with no filter installed.  Then
 * close(-1), a bug of the program's, which the shim must still record: it
 * has no sandbox to step aside for.  Prints the seccomp() result; exits 77
 * where seccomp filters cannot be set. */
#include "progs.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
static struct sock_fprog prog = {1, allow};
static int go[2], done[2];

static void *other(void *unused)
{
	char c;

	(void)unused;
	/* a filter of this thread's alone: the threads' filters now differ
	 * (installed unseen by the shim: the one seen is main's, below) */
	c = raw_syscall3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&prog) == 0 ? 'y' : 'n';
	if (write(done[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
		die("pipe");
	return NULL;
}

int main(void)
{
	pthread_t t;
	long r;
	char c;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || pipe(go) != 0 || pipe(done) != 0 ||
	    pthread_create(&t, NULL, other, NULL) != 0)
		return 77;
	if (read(done[0], &c, 1) != 1 || c != 'y')
		return 77;
	r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (write(go[1], "g", 1) != 1)
		die("pipe");
	pthread_join(t, NULL);
	close(-1);
	printf("seccomp %ld\n", r);
	return 0;
}
