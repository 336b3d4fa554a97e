/* Unit tests of the shim's own descriptors (privfd.h). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "fdtab.h"
#include "privfd.h"

/* A private copy of a fresh pipe's read end: its slot. */
static int adopt_a_pipe(void)
{
	int p[2], slot;

	assert_int_equal(pipe(p), 0);
	slot = privfd_adopt(p[0]);
	close(p[0]);
	close(p[1]);
	assert_true(slot >= 0);
	return slot;
}

static void test_adopt_marks_and_release_clears(void **state)
{
	int slot, fd;

	(void)state;
	slot = adopt_a_pipe();
	fd = privfd_peek(slot);
	assert_true(fd > 2);
	assert_true(privfd_is_private(fd));
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	privfd_release(slot);
	assert_false(privfd_is_private(fd));
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
}

/* Regression (CI, an ASan run of regress_private_fds: the program's
 * close of the shim's log file succeeded).  A release closed its number,
 * then cleared the number's mark in the table; a copy made in between by
 * another thread (the log file opened at the first record, while the
 * background released a lingering socket) could take that very number,
 * and the clear then wiped the newcomer's mark: the number was the
 * program's to close.  One thread adopts and releases without end; the
 * other adopts and checks that its own number stays marked. */
#define ROUNDS 20000
static int stop;

static void *churn(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		privfd_release(adopt_a_pipe());
	return NULL;
}

static void test_regress_release_keeps_a_newer_mark(void **state)
{
	pthread_t t;
	int lost = 0;

	(void)state;
	__atomic_store_n(&stop, 0, __ATOMIC_RELEASE);
	assert_int_equal(pthread_create(&t, NULL, churn, NULL), 0);
	for (int i = 0; i < ROUNDS; i++) {
		int slot = adopt_a_pipe(), fd = privfd_peek(slot);

		/* (the other thread's release, if it was in the middle of
		 * one, ends meanwhile) */
		for (int k = 0; k < 3; k++)
			sched_yield();
		if (!privfd_is_private(fd))
			lost++;
		privfd_release(slot);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(lost, 0);
}

/* privfd_adopt_waking: an eviction calls moving(old) after the new
 * number is published, and the program's call takes old only after that
 * returns.  A waiter waits on the slot's number (poll, 1 ms at a time), as
 * the background waits in epoll_wait, noting it first and reading the slot
 * again (privfd.h); moving() wakes it (a byte in the pipe) and waits until
 * it is off old.  The number must stay the shim's for as long as the
 * waiter waits on it (else the waiter would be waiting on the program's
 * descriptor, and could take what is the program's). */
static int waiting_on = -1, wake_w = -1, waits_on_taken;
static int w_slot;

static void moving(int old)
{
	if (__atomic_load_n(&waiting_on, __ATOMIC_SEQ_CST) != old)
		return;
	(void)!write(wake_w, "w", 1);
	while (__atomic_load_n(&waiting_on, __ATOMIC_SEQ_CST) == old)
		sched_yield();
}

static void *waiter(void *arg)
{
	char c;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = {.events = POLLIN};

		do {
			p.fd = privfd_peek(w_slot);
			__atomic_store_n(&waiting_on, p.fd, __ATOMIC_SEQ_CST);
		} while (p.fd >= 0 && privfd_peek(w_slot) != p.fd);
		if (p.fd >= 0 && poll(&p, 1, 1) == 1 && (p.revents & POLLIN))
			(void)!read(p.fd, &c, 1);
		/* (an eviction clears the old number's mark only once moving()
		 * has returned) */
		if (p.fd >= 0 && !privfd_is_private(p.fd))
			__atomic_add_fetch(&waits_on_taken, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&waiting_on, -1, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

static void test_waking_slot_move_waits_for_the_waiter(void **state)
{
	int p[2], mine[2];
	pthread_t t;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(mine), 0);
	wake_w = p[1];
	w_slot = privfd_adopt_waking(p[0], moving);
	close(p[0]);
	assert_true(w_slot >= 0);
	__atomic_store_n(&stop, 0, __ATOMIC_RELEASE);
	assert_int_equal(pthread_create(&t, NULL, waiter, NULL), 0);
	for (int i = 0; i < 600; i++) {
		int old = privfd_peek(w_slot);

		assert_true(privfd_evict(old));
		/* the program's call: its own pipe at old, as dup2 does */
		assert_int_equal(dup2(mine[0], old), old);
		close(old);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	assert_int_equal(waits_on_taken, 0);
	privfd_release(w_slot);
	close(mine[0]);
	close(mine[1]);
	close(wake_w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adopt_marks_and_release_clears),
		cmocka_unit_test(test_regress_release_keeps_a_newer_mark),
		cmocka_unit_test(test_waking_slot_move_waits_for_the_waiter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
