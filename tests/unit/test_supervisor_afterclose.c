/* Unit tests of the look after a close (supervisor/afterclose.c): the
 * pidfd it keeps to see the program's close run must be the closing
 * process's, never that of one gone, whose pidfd's number and pid another
 * process may be given next.  (A unix socket pair stands for the
 * connection: what is asked here is only whether the program's number
 * still names it.) */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor.h"

/* A process that holds what the test holds, till it is killed. */
static pid_t holder(void)
{
	pid_t p = fork();

	if (p == 0) {
		/* (gone with the test, whatever assertion ends it) */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pause();
		_exit(0);
	}
	assert_true(p > 0);
	return p;
}

static void gone(pid_t p, int pidfd)
{
	kill(p, SIGKILL);
	waitpid(p, NULL, 0);
	/* as sv_proc_gone: forgotten, then its pidfd closed */
	sv_after_forget_pidfd(pidfd);
	close(pidfd);
}

/* A close looked at after it runs, still pending when its process is
 * gone, let its pidfd go after sv_proc_gone, which kept it for the next
 * process given that pidfd's number and the same pid (a pid namespace's
 * ns_last_pid, pids that come round): its closes were then decided at
 * once, with the dead process's pidfd (found by a review of 787dfbf; 3 to
 * 6 times in 60 pid reuses under a busy CPU). */
static void test_gone_process_pidfd_not_kept(void **state)
{
	int sp[2], copy, pidfd, again;
	struct stat st;
	struct event_foreign who;
	pid_t a, b;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	assert_int_equal(fstat(sp[0], &st), 0);
	memset(&who, 0, sizeof who);

	a = holder();
	pidfd = (int)syscall(SYS_pidfd_open, a, 0);
	assert_true(pidfd >= 0);
	who.pid = a;
	copy = dup(sp[0]);
	sv_after_take(copy, pidfd, sp[0], (uint64_t)st.st_ino, 0, -1, &who);
	/* a's number still names the socket: its close has not run */
	sv_after_check();
	assert_int_equal(sv_after_timeout_ms(), 1);
	gone(a, pidfd);
	sv_after_check(); /* decided: the process is gone */
	assert_int_equal(sv_after_timeout_ms(), -1);

	/* another process, at the same pidfd number, with a's pid */
	b = holder();
	again = (int)syscall(SYS_pidfd_open, b, 0);
	assert_true(again >= 0);
	if (again != pidfd) {
		assert_int_equal(dup2(again, pidfd), pidfd);
		close(again);
	}
	copy = dup(sp[0]);
	sv_after_take(copy, pidfd, sp[0], (uint64_t)st.st_ino, 0, -1, &who);
	/* b's number names the socket: pending, not decided with a's pidfd */
	sv_after_check();
	assert_int_equal(sv_after_timeout_ms(), 1);
	gone(b, pidfd);
	sv_after_check();
	assert_int_equal(sv_after_timeout_ms(), -1);
	close(sp[0]);
	close(sp[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gone_process_pidfd_not_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
