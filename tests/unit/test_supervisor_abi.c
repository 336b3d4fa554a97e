/* Unit tests of the supervisor's reading of a notification's ABI
 * (supervisor/abi.c): the i386 numbers it knows are the ones libseccomp's
 * table gives those calls; a 64-bit call is read as it is; a 32-bit one
 * has its arguments cut to 32 bits; socketcall's arguments are read from
 * the caller's memory; a call of another ABI is left alone; a struct
 * msghdr and its SCM_RIGHTS messages are read in either ABI's layout. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <linux/audit.h>
#include <linux/net.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "supervisor.h"

static const struct {
	const char *name;
	enum sv_call call;
} wanted[] = {
	{"close", SV_CALL_CLOSE},
	{"bind", SV_CALL_BIND},
	{"setsockopt", SV_CALL_SETSOCKOPT},
	{"shutdown", SV_CALL_SHUTDOWN},
	{"dup", SV_CALL_DUP},
	{"fcntl", SV_CALL_FCNTL},
	{"fcntl64", SV_CALL_FCNTL},
	{"dup2", SV_CALL_DUP2},
	{"dup3", SV_CALL_DUP2},
	{"fork", SV_CALL_FORK},
	{"vfork", SV_CALL_FORK},
	{"clone", SV_CALL_CLONE},
	{"clone3", SV_CALL_CLONE3},
	{"execve", SV_CALL_EXEC},
	{"execveat", SV_CALL_EXEC},
	{"exit_group", SV_CALL_EXIT_GROUP},
	{"close_range", SV_CALL_CLOSE_RANGE},
	{"sendmsg", SV_CALL_SENDMSG},
	{"epoll_create", SV_CALL_EPOLL_CREATE},
	{"epoll_create1", SV_CALL_EPOLL_CREATE},
};

/* Each call the filter traps, at the number libseccomp's i386 table has
 * for it (socket calls at their own numbers, not socketcall's), is the
 * call abi.c says; and nothing else is one. */
static void test_i386_numbers_are_libseccomps(void **state)
{
	size_t found = 0;

	(void)state;
	for (int nr = 0; nr < 512; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86, nr);
		enum sv_call want = SV_CALL_OTHER;

		for (size_t i = 0; name && i < sizeof wanted / sizeof wanted[0]; i++)
			if (!strcmp(name, wanted[i].name)) {
				want = wanted[i].call;
				found++;
			}
		if (sv_abi_i386_call(nr) != want)
			fail_msg("i386 %d (%s): %d, want %d", nr, name ? name : "?",
				 sv_abi_i386_call(nr), want);
		free(name);
	}
	assert_int_equal(found, sizeof wanted / sizeof wanted[0]);
}

static struct seccomp_notif notif(uint32_t arch, int nr, uint64_t a0, uint64_t a1)
{
	struct seccomp_notif r;

	memset(&r, 0, sizeof r);
	r.data.arch = arch;
	r.data.nr = nr;
	r.data.args[0] = a0;
	r.data.args[1] = a1;
	r.data.args[2] = 0xffffffff00000007ull;
	return r;
}

static void test_native_call_as_is(void **state)
{
	struct seccomp_notif r = notif(AUDIT_ARCH_X86_64, SCMP_SYS(shutdown), 5, 1);
	struct sv_args a;

	(void)state;
	assert_int_equal(sv_abi_decode(getpid(), &r, &a), SV_CALL_SHUTDOWN);
	assert_false(a.compat);
	assert_int_equal(a.v[0], 5);
	assert_int_equal(a.v[1], 1);
	assert_int_equal(a.v[2], 0xffffffff00000007ull);
	r = notif(AUDIT_ARCH_X86_64, SCMP_SYS(getpid), 0, 0);
	assert_int_equal(sv_abi_decode(getpid(), &r, &a), SV_CALL_OTHER);
}

static void test_i386_call_cut_to_32_bits(void **state)
{
	struct seccomp_notif r = notif(AUDIT_ARCH_I386, 6 /* close */, 0xffffffff00000004ull, 0);
	struct sv_args a;

	(void)state;
	assert_int_equal(sv_abi_decode(getpid(), &r, &a), SV_CALL_CLOSE);
	assert_true(a.compat);
	assert_int_equal(a.v[0], 4);
	assert_int_equal(a.v[2], 7);
	/* i386's 3 is read, not x86_64's */
	r = notif(AUDIT_ARCH_I386, 3, 4, 0);
	assert_int_equal(sv_abi_decode(getpid(), &r, &a), SV_CALL_OTHER);
}

/* socketcall's array where a 32-bit program's would be: below 4 GiB */
static void test_i386_socketcall_reads_memory(void **state)
{
	static const uint32_t given[5] = {9, SOL_SOCKET, SO_REUSEADDR, 0x1000, 4};
	uint32_t *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	struct seccomp_notif r;
	struct sv_args a;

	(void)state;
	assert_true(args != MAP_FAILED);
	memcpy(args, given, sizeof given);
	r = notif(AUDIT_ARCH_I386, 102, SYS_SETSOCKOPT, (uintptr_t)args);
	assert_int_equal(sv_abi_decode(getpid(), &r, &a), SV_CALL_SETSOCKOPT);
	assert_true(a.compat);
	for (int i = 0; i < 5; i++)
		assert_int_equal(a.v[i], args[i]);
	assert_int_equal(a.v[5], 0);
	r = notif(AUDIT_ARCH_I386, 102, SYS_SHUTDOWN, (uintptr_t)args);
	assert_int_equal(sv_abi_decode(getpid(), &r, &a), SV_CALL_SHUTDOWN);
	assert_int_equal(a.v[0], 9);
	assert_int_equal(a.v[1], SOL_SOCKET);
	assert_int_equal(a.v[2], 0);
	/* unreadable arguments: left for the kernel to fail */
	r = notif(AUDIT_ARCH_I386, 102, SYS_BIND, 8);
	assert_int_equal(sv_abi_decode(getpid(), &r, &a), SV_CALL_OTHER);
	/* a socket call the filter does not trap */
	r = notif(AUDIT_ARCH_I386, 102, SYS_CONNECT, (uintptr_t)args);
	assert_int_equal(sv_abi_decode(getpid(), &r, &a), SV_CALL_OTHER);
	munmap(args, 4096);
}

/* A 64-bit program's SCM_RIGHTS messages, as CMSG_* lays them out: two
 * messages, the second after another level's. */
static void test_rights_native(void **state)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int)) + CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = {.msg_control = u.buf, .msg_controllen = sizeof u.buf};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	int two[2] = {7, 9}, one = 11, other = 99, fds[8];
	uint64_t where, len;

	(void)state;
	memset(&u, 0, sizeof u);
	h->cmsg_level = SOL_SOCKET, h->cmsg_type = SCM_RIGHTS, h->cmsg_len = CMSG_LEN(sizeof two);
	memcpy(CMSG_DATA(h), two, sizeof two);
	h = CMSG_NXTHDR(&m, h);
	h->cmsg_level = SOL_IP, h->cmsg_type = SCM_RIGHTS, h->cmsg_len = CMSG_LEN(sizeof other);
	memcpy(CMSG_DATA(h), &other, sizeof other);
	h = CMSG_NXTHDR(&m, h);
	h->cmsg_level = SOL_SOCKET, h->cmsg_type = SCM_RIGHTS, h->cmsg_len = CMSG_LEN(sizeof one);
	memcpy(CMSG_DATA(h), &one, sizeof one);
	assert_int_equal(sv_abi_msghdr_size(false), sizeof m);
	assert_true(sv_abi_msghdr_control(&m, false, &where, &len));
	assert_int_equal(where, (uintptr_t)u.buf);
	assert_int_equal(len, sizeof u.buf);
	assert_int_equal(sv_abi_rights((unsigned char *)u.buf, sizeof u.buf, false, fds, 8), 3);
	assert_int_equal(fds[0], 7);
	assert_int_equal(fds[1], 9);
	assert_int_equal(fds[2], 11);
	/* at most max; a length past the end ends the walk */
	assert_int_equal(sv_abi_rights((unsigned char *)u.buf, sizeof u.buf, false, fds, 1), 1);
	assert_int_equal(sv_abi_rights((unsigned char *)u.buf, CMSG_LEN(sizeof two) - 1, false, fds, 8), 0);
}

/* A 32-bit program's: struct compat_msghdr (7 words) and 12-byte headers
 * at 4-byte alignment (a message of 1 number takes 16 bytes, not 24). */
static void test_rights_compat(void **state)
{
	uint32_t hdr[7] = {0, 0, 0x1000, 1, 0x2000, 32, 0};
	uint32_t control[8] = {
		16, SOL_SOCKET, SCM_RIGHTS, 5,	   /* one number */
		16, SOL_SOCKET, SCM_RIGHTS, 6,	   /* another */
	};
	int fds[8];
	uint64_t where, len;

	(void)state;
	assert_int_equal(sv_abi_msghdr_size(true), sizeof hdr);
	assert_true(sv_abi_msghdr_control(hdr, true, &where, &len));
	assert_int_equal(where, 0x2000);
	assert_int_equal(len, 32);
	assert_int_equal(sv_abi_rights((unsigned char *)control, sizeof control, true, fds, 8), 2);
	assert_int_equal(fds[0], 5);
	assert_int_equal(fds[1], 6);
	/* read as a 64-bit one's, it is not the same */
	assert_int_not_equal(sv_abi_rights((unsigned char *)control, sizeof control, false, fds, 8), 2);
	hdr[4] = 0; /* no control data */
	assert_false(sv_abi_msghdr_control(hdr, true, &where, &len));
}

static void test_other_abi_left_alone(void **state)
{
	struct seccomp_notif r = notif(AUDIT_ARCH_AARCH64, SCMP_SYS(close), 4, 0);
	struct sv_args a;

	(void)state;
	assert_int_equal(sv_abi_decode(getpid(), &r, &a), SV_CALL_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_i386_numbers_are_libseccomps),
		cmocka_unit_test(test_native_call_as_is),
		cmocka_unit_test(test_i386_call_cut_to_32_bits),
		cmocka_unit_test(test_i386_socketcall_reads_memory),
		cmocka_unit_test(test_rights_native),
		cmocka_unit_test(test_rights_compat),
		cmocka_unit_test(test_other_abi_left_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
