/* Unit tests of the descriptor table. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdtab.h"

static int reset(void **state)
{
	(void)state;
	fdtab_reset();
	return 0;
}

static void test_unknown_is_zero(void **state)
{
	(void)state;
	assert_int_equal(fdtab_get(0), 0);
	assert_int_equal(fdtab_get(12345), 0);
	assert_int_equal(fdtab_get(-1), 0);
	assert_int_equal(fdtab_get(INT_MAX), 0);
	assert_int_equal(fdtab_limit(), 0);
}

static void test_socket_state(void **state)
{
	uint32_t st;

	(void)state;
	st = fdtab_socket_state(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(st & FD_CREATED);
	assert_true(st & FD_SOCKET);
	assert_true(st & FD_CREATED);
	assert_true(st & FD_TCP);
	assert_false(st & FD_SHARED);
	assert_int_equal(fd_family(st), FAM_INET);
	assert_int_equal(fd_type(st), TYPE_STREAM);
	assert_true(fd_is_inet_stream(st));

	st = fdtab_socket_state(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
	assert_int_equal(fd_family(st), FAM_INET6);
	assert_true(st & FD_TCP);

	st = fdtab_socket_state(AF_INET6, SOCK_STREAM, IPPROTO_SCTP);
	assert_true(fd_is_inet_stream(st));
	assert_false(st & FD_TCP);

	st = fdtab_socket_state(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(fd_type(st), TYPE_DGRAM);
	assert_false(st & FD_TCP);
	assert_false(fd_is_inet_stream(st));

	st = fdtab_socket_state(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(fd_family(st), FAM_UNIX);
	assert_false(st & FD_TCP);
	assert_false(fd_is_inet_stream(st));

	st = fdtab_socket_state(AF_NETLINK, SOCK_RAW, 0);
	assert_int_equal(fd_family(st), FAM_OTHER);
	assert_int_equal(fd_type(st), TYPE_OTHER);
}

static void test_set_get_bits(void **state)
{
	(void)state;
	assert_int_equal(fdtab_set(5, FD_EPOLL | FD_SOCKET), 0);
	assert_int_equal(fdtab_get(5), FD_EPOLL | FD_SOCKET);
	assert_int_equal(fdtab_or(5, FD_SHARED), FD_EPOLL | FD_SOCKET);
	assert_int_equal(fdtab_get(5), FD_EPOLL | FD_SOCKET | FD_SHARED);
	assert_int_equal(fdtab_clear(5, FD_SOCKET), FD_EPOLL | FD_SOCKET | FD_SHARED);
	assert_int_equal(fdtab_get(5), FD_EPOLL | FD_SHARED);
	assert_int_equal(fdtab_set(5, FD_CLOSED), FD_EPOLL | FD_SHARED);
	assert_int_equal(fdtab_get(5), FD_CLOSED);
	fdtab_set_word(5, FD_CLOSED, 77);
	assert_int_equal(fdtab_aux_of(fdtab_lookup(5)->word), 77);
	assert_int_equal(fdtab_get(5), FD_CLOSED);
	fdtab_set_cookie(5, 0x1234567890ULL);
	assert_true(fdtab_cookie(5) == 0x1234567890ULL);
	fdtab_set(5, FD_SOCKET); /* a new socket forgets the old one's cookie */
	assert_true(fdtab_cookie(5) == 0);
	assert_int_equal(fdtab_get(4), 0);
	assert_int_equal(fdtab_get(6), 0);
	assert_int_equal(fdtab_limit(), 6);
	/* negative numbers are never kept */
	assert_int_equal(fdtab_set(-3, FD_EPOLL), 0);
	assert_int_equal(fdtab_get(-3), 0);
}

/* Numbers at chunk edges and far beyond the usual RLIMIT_NOFILE. */
static void test_large_numbers(void **state)
{
	static const int fds[] = {4095, 4096, 4097, 65535, 1 << 20, (1 << 20) + 1,
				  1 << 30, INT_MAX - 1};

	(void)state;
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		fdtab_set(fds[i], FD_EPOLL | (uint32_t)i << FD_FAMILY_SHIFT);
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		assert_int_equal(fdtab_get(fds[i]), FD_EPOLL | (uint32_t)i << FD_FAMILY_SHIFT);
	assert_int_equal(fdtab_get(4094), 0);
	assert_int_equal(fdtab_get((1 << 20) - 1), 0);
	assert_int_equal(fdtab_limit(), INT_MAX);
	/* setting a number to unknown does not make its chunk */
	fdtab_set(7 << 20, 0);
	assert_int_equal(fdtab_get(7 << 20), 0);
}

static bool count(int fd, uint32_t st, void *ctx)
{
	(void)fd;
	(void)st;
	(*(int *)ctx)++;
	return true;
}

static void test_each_and_fork_sharing(void **state)
{
	uint32_t sock = fdtab_socket_state(AF_INET, SOCK_STREAM, 0);
	int n = 0;

	(void)state;
	fdtab_set(3, sock);
	fdtab_set(4, FD_EPOLL); /* not a socket */
	fdtab_set(9000, sock);
	fdtab_set(9001, FD_CLOSED);
	fdtab_each(0, INT_MAX, FD_SOCKET, count, &n);
	assert_int_equal(n, 2);
	n = 0;
	fdtab_each(4, 8999, ~0u, count, &n);
	assert_int_equal(n, 1);

	fdtab_mark_all_shared();
	assert_true(fdtab_get(3) & FD_SHARED);
	assert_true(fdtab_get(9000) & FD_SHARED);
	assert_false(fdtab_get(4) & FD_SHARED);
	assert_false(fdtab_get(9001) & FD_SHARED);
}

static void test_learn(void **state)
{
	int sv[2], tcp, p[2];
	uint32_t st;

	(void)state;
	tcp = socket(AF_INET6, SOCK_STREAM, 0);
	assert_true(tcp >= 0);
	st = fdtab_learn(tcp);
	assert_true(st & FD_TCP);
	assert_false(st & FD_CREATED); /* the shim did not see it made */
	assert_int_equal(fd_family(st), FAM_INET6);
	assert_int_equal(fdtab_get(tcp), st);

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	st = fdtab_learn(sv[0]);
	assert_int_equal(fd_family(st), FAM_UNIX);
	assert_int_equal(fd_type(st), TYPE_DGRAM);

	assert_int_equal(pipe(p), 0);
	assert_int_equal(fdtab_learn(p[0]), 0);
	close(tcp), close(sv[0]), close(sv[1]), close(p[0]), close(p[1]);
}

/* Threads that make the same new chunks at once, and flip bits of shared
 * entries: no update is lost. */
#define THREADS 8
#define ROUNDS 20000
static void *hammer(void *arg)
{
	int id = (int)(intptr_t)arg;

	for (int i = 0; i < ROUNDS; i++) {
		int fd = (1 << 24) + (i % 64) * 4096; /* many fresh chunks */

		fdtab_or(fd, 1u << (20 + id)); /* bits above the family/type fields */
		fdtab_set(200000 + id * ROUNDS + i, FD_EPOLL);
	}
	return NULL;
}

/* Whether the table may miss a socket: yes until a walk begins, no
 * after, yes again once something may have come unseen (until the next
 * walk), and a fork's child (the same memory here) keeps the answer. */
static void test_all_seen(void **state)
{
	(void)state;
	assert_false(fdtab_all_seen());
	fdtab_unseen_possible();
	assert_false(fdtab_all_seen());
	fdtab_walk_begins();
	assert_true(fdtab_all_seen());
	fdtab_set(3, FD_SOCKET);
	fdtab_mark_all_shared();
	assert_true(fdtab_all_seen());
	fdtab_unseen_possible();
	assert_false(fdtab_all_seen());
	fdtab_walk_begins();
	assert_true(fdtab_all_seen());
	fdtab_reset();
	assert_false(fdtab_all_seen());
}

/* A receive in progress: not complete meanwhile, even after a walk (its
 * descriptor may be in the table already; a child forked then keeps the
 * count, never brought down there); complete again after one that brought
 * nothing, not after one that brought something. */
static void test_receiving(void **state)
{
	(void)state;
	fdtab_walk_begins();
	fdtab_receive_begin();
	assert_false(fdtab_all_seen());
	assert_true(fdtab_all_seen_but_receiving());
	fdtab_walk_begins();
	assert_false(fdtab_all_seen());
	fdtab_receive_end(false);
	assert_true(fdtab_all_seen());
	fdtab_receive_begin();
	fdtab_receive_begin();
	fdtab_receive_end(false);
	assert_false(fdtab_all_seen());
	fdtab_receive_end(true);
	assert_false(fdtab_all_seen());
	fdtab_walk_begins();
	assert_true(fdtab_all_seen());
	fdtab_receive_begin();
	fdtab_reset();
	assert_false(fdtab_all_seen());
	fdtab_walk_begins();
	assert_true(fdtab_all_seen()); /* the reset forgot the count too */
}

static void test_threads(void **state)
{
	pthread_t t[THREADS];

	(void)state;
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, hammer, (void *)(intptr_t)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 64; i++)
		assert_int_equal(fdtab_get((1 << 24) + i * 4096), ((1u << THREADS) - 1) << 20);
	for (int i = 0; i < THREADS * ROUNDS; i++)
		assert_int_equal(fdtab_get(200000 + i), FD_EPOLL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unknown_is_zero, reset),
		cmocka_unit_test_setup(test_socket_state, reset),
		cmocka_unit_test_setup(test_set_get_bits, reset),
		cmocka_unit_test_setup(test_large_numbers, reset),
		cmocka_unit_test_setup(test_each_and_fork_sharing, reset),
		cmocka_unit_test_setup(test_learn, reset),
		cmocka_unit_test_setup(test_all_seen, reset),
		cmocka_unit_test_setup(test_receiving, reset),
		cmocka_unit_test_setup(test_threads, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
