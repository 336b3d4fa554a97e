/* Unit tests of the fork tree's reference counts (sharecount.h), fork
 * included: the counts live in memory shared with the children. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "fdtab.h"
#include "sharecount.h"

static uint64_t next_cookie = 1000;

/* A TCP socket made here at number fd, with a fresh cookie. */
static uint64_t made(int fd)
{
	uint64_t cookie = next_cookie++;

	fdtab_set(fd, fdtab_socket_state(AF_INET, SOCK_STREAM, 0));
	fdtab_set_cookie(fd, cookie);
	return cookie;
}

/* What init.c's fork_prepare does. */
static void before_fork(void)
{
	sharecount_fork();
	fdtab_mark_all_shared();
}

static int setup(void **state)
{
	(void)state;
	fdtab_reset();
	shim_cfg.graceful = GRACEFUL_ON;
	sharecount_init();
	return 0;
}

static void test_not_counted_before_a_fork(void **state)
{
	(void)state;
	made(5);
	assert_false(fdtab_get(5) & FD_COUNTED);
	assert_false(sharecount_last(5, fdtab_get(5)));
	assert_false(sharecount_followed(5, fdtab_get(5)));
}

static void test_parent_closes_first(void **state)
{
	uint64_t c;

	(void)state;
	c = made(6);
	before_fork(); /* parent and child hold it */
	assert_true(fdtab_get(6) & FD_COUNTED);
	assert_true(fdtab_get(6) & FD_SHARED);
	assert_false(sharecount_last(6, fdtab_get(6)));
	assert_true(sharecount_followed(6, fdtab_get(6))); /* "not last" is the truth */
	sharecount_release(c); /* one of them closes */
	assert_true(sharecount_last(6, fdtab_get(6)));
}

static void test_two_forks_and_a_dup(void **state)
{
	uint64_t c;

	(void)state;
	c = made(7);
	before_fork();
	before_fork(); /* three holders */
	sharecount_add(c); /* a dup in one of them: four */
	for (int i = 0; i < 3; i++) {
		assert_false(sharecount_last(7, fdtab_get(7)));
		sharecount_release(c);
	}
	assert_true(sharecount_last(7, fdtab_get(7)));
}

static void test_shared_before_counting_is_pinned(void **state)
{
	uint64_t c;

	(void)state;
	c = made(8);
	fdtab_or(8, FD_SHARED); /* dup'd or passed before any fork */
	before_fork();
	for (int i = 0; i < 5; i++)
		sharecount_release(c);
	assert_false(sharecount_last(8, fdtab_get(8)));
}

static void test_pinned_never_last(void **state)
{
	uint64_t c;

	(void)state;
	c = made(9);
	before_fork();
	assert_true(sharecount_followed(9, fdtab_get(9)));
	sharecount_pin(c); /* passed to a spawned program */
	sharecount_release(c);
	assert_false(sharecount_last(9, fdtab_get(9)));
	assert_false(sharecount_followed(9, fdtab_get(9))); /* someone unseen may hold it */
}

static void test_across_a_real_fork(void **state)
{
	uint64_t c;
	pid_t pid;
	int status;

	(void)state;
	c = made(10);
	before_fork();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the child: its copy goes (a close, or its exit) */
		sharecount_release(c);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_true(sharecount_last(10, fdtab_get(10)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_not_counted_before_a_fork, setup),
		cmocka_unit_test_setup(test_parent_closes_first, setup),
		cmocka_unit_test_setup(test_two_forks_and_a_dup, setup),
		cmocka_unit_test_setup(test_shared_before_counting_is_pinned, setup),
		cmocka_unit_test_setup(test_pinned_never_last, setup),
		cmocka_unit_test_setup(test_across_a_real_fork, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
