/* Unit tests of the close decisions (fdend.c) against a fake libc.
 *
 * A tiny fake "kernel" descriptor table stands for the process's real one:
 * fake_close() frees a number or fails with EBADF, fake_socket() takes the
 * lowest free number, and two things happen behind the shim's back: an
 * unseen close (a raw system call, a library the shim does not interpose)
 * and an SCM_RIGHTS arrival that fills a free number.  The shim's side is
 * the real descriptor table (fdtab.c) and the real decisions (fdend.c).
 *
 * Races are written out step by step: each "thread" is a struct closer whose
 * claim, real close and finish are called in the order of the interleaving
 * under test, so every case is deterministic.  One stress case runs real
 * threads over a fake kernel made of atomics.
 *
 * The last three cases are regression tests of defects this test found in
 * the first fdend.c (each comment says what it did then). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "config.h"
#include "fdend.h"
#include "fdtab.h"
#include "sockshim.h"

/* ---- the fake kernel ----------------------------------------------------- */

#define KFDS 64
static bool kopen[KFDS]; /* which numbers the fake process holds */

static void kreset(void)
{
	memset(kopen, 0, sizeof kopen);
	kopen[0] = kopen[1] = kopen[2] = true; /* stdin, stdout, stderr */
}

/* The lowest free number, now taken (what the kernel hands out). */
static int ktake(void)
{
	for (int fd = 0; fd < KFDS; fd++) {
		if (!kopen[fd]) {
			kopen[fd] = true;
			return fd;
		}
	}
	fail_msg("fake kernel out of numbers");
	return -1;
}

/* The real close(2): 0, or -1 with *err = EBADF for a number not open. */
static int fake_close(int fd, int *err)
{
	*err = 0;
	if (fd < 0 || fd >= KFDS || !kopen[fd]) {
		*err = EBADF;
		return -1;
	}
	kopen[fd] = false;
	return 0;
}

/* A close that fails with err (EINTR, EIO) after freeing the number, as
 * Linux's close does. */
static int fake_close_failing(int fd, int fail_err, int *err)
{
	assert_true(kopen[fd]);
	kopen[fd] = false;
	*err = fail_err;
	return -1;
}

/* socket(2) in the kernel alone. */
static int fake_socket(void)
{
	return ktake();
}

/* A close the shim does not see (a raw system call). */
static void fake_unseen_close(int fd)
{
	assert_true(kopen[fd]);
	kopen[fd] = false;
}

/* A descriptor received in SCM_RIGHTS (or opened by anything the shim does
 * not interpose): fills the lowest free number, the shim not told. */
static int fake_scm_rights_arrival(void)
{
	return ktake();
}

/* ---- the shim's side ----------------------------------------------------- */

static uint32_t tcp_last;      /* TCP socket made here, the only reference */
static uint32_t tcp_other;     /* another TCP socket made here */

/* What the shim's socket() does: the kernel's, then the table records it. */
static int shim_socket(uint32_t st)
{
	int fd = fake_socket();

	fdtab_set(fd, st);
	return fd;
}

/* The entry's whole word (state and aux); 0 when there is no entry. */
static uint64_t word(int fd)
{
	struct fd_entry *e = fdtab_lookup(fd);

	return e ? __atomic_load_n(&e->word, __ATOMIC_ACQUIRE) : 0;
}

static uint64_t closed_by(uint32_t id)
{
	return fdtab_word_of(FD_CLOSED, id);
}

/* One close of one thread, step by step (close_path.c's order). */
struct closer {
	uint32_t id; /* its close_history id */
	uint32_t after; /* an id taken after its real close returned (0: none) */
	struct fdend end;
	uint32_t claimed; /* the state its claim returned */
	int ret, err;
	uint32_t first_id;
	enum fdend_verdict v;
};

static void claim(struct closer *t, int fd)
{
	t->claimed = fdend_claim(&t->end, fd, t->id);
}

static void real_close(struct closer *t)
{
	t->ret = fake_close(t->end.fd, &t->err);
}

static void finish(struct closer *t)
{
	t->first_id = 0xdeadbeef; /* finish must always set it */
	t->v = fdend_finish(&t->end, t->ret, t->err, t->after, &t->first_id);
}

/* A whole close in one go. */
static void close_all(struct closer *t, int fd)
{
	claim(t, fd);
	real_close(t);
	finish(t);
}

static int reset(void **state)
{
	(void)state;
	fdtab_reset();
	kreset();
	tcp_last = fdtab_socket_state(AF_INET, SOCK_STREAM, 0);
	tcp_other = fdtab_socket_state(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	return 0;
}

/* ---- one thread ---------------------------------------------------------- */

static void test_plain_close(void **state)
{
	struct closer a = {.id = 11};
	int fd;

	(void)state;
	fd = shim_socket(tcp_last);
	assert_int_equal(fd, 3);
	claim(&a, fd);
	assert_int_equal(a.claimed, tcp_last);
	assert_true(word(fd) == closed_by(11)); /* claimed before the real close */
	real_close(&a);
	assert_int_equal(a.ret, 0);
	assert_false(kopen[fd]);
	finish(&a);
	assert_int_equal(a.v, FDEND_OK);
	assert_int_equal(a.first_id, 0);
	assert_true(word(fd) == closed_by(11));
}

/* A number the table never heard of (a pipe, an inherited descriptor): no
 * entry at all (its chunk never made), or an entry reading 0. */
static void test_unknown_close_ok(void **state)
{
	struct closer a = {.id = 21}, b = {.id = 22};
	int fd;

	(void)state;
	/* no chunk near the number */
	fd = fake_scm_rights_arrival();
	assert_null(fdtab_lookup(fd));
	claim(&a, fd);
	assert_int_equal(a.claimed, 0);
	assert_null(a.end.e);
	assert_null(fdtab_lookup(fd)); /* the claim makes nothing */
	real_close(&a);
	assert_int_equal(a.ret, 0);
	finish(&a);
	assert_int_equal(a.v, FDEND_OK);
	assert_int_equal(a.first_id, 0);
	assert_true(word(fd) == closed_by(21)); /* recorded late */

	/* an entry that reads 0 */
	fd = fake_scm_rights_arrival();
	fdtab_set(fd, 0);
	assert_non_null(fdtab_lookup(fd));
	assert_true(word(fd) == 0);
	close_all(&b, fd);
	assert_int_equal(b.claimed, 0);
	assert_int_equal(b.v, FDEND_OK);
	assert_int_equal(b.first_id, 0);
	assert_true(word(fd) == closed_by(22));
}

static void test_unknown_close_ebadf(void **state)
{
	struct closer a = {.id = 31}, b = {.id = 32};

	(void)state;
	/* no chunk near the number */
	close_all(&a, 7);
	assert_int_equal(a.ret, -1);
	assert_int_equal(a.err, EBADF);
	assert_int_equal(a.v, FDEND_CLOSE_ERROR);
	assert_int_equal(a.first_id, 0);
	assert_null(fdtab_lookup(7)); /* nothing recorded for a failure */

	/* an entry that reads 0 */
	fdtab_set(40, FD_EPOLL); /* makes the chunk */
	assert_true(word(8) == 0);
	claim(&b, 8);
	assert_true(word(8) == closed_by(32));
	real_close(&b);
	finish(&b);
	assert_int_equal(b.v, FDEND_CLOSE_ERROR);
	assert_int_equal(b.first_id, 0);
	assert_true(word(8) == 0); /* unknown again */
	assert_int_equal(fdtab_get(40), FD_EPOLL);
}

static void test_double_close_one_thread(void **state)
{
	struct closer first = {.id = 41}, second = {.id = 42}, third = {.id = 43};
	int fd;

	(void)state;
	fd = shim_socket(tcp_last);
	close_all(&first, fd);
	assert_int_equal(first.v, FDEND_OK);
	assert_true(word(fd) == closed_by(41));

	claim(&second, fd);
	assert_int_equal(second.claimed, FD_CLOSED);
	real_close(&second);
	assert_int_equal(second.err, EBADF);
	finish(&second);
	assert_int_equal(second.v, FDEND_DOUBLE_CLOSE);
	assert_int_equal(second.first_id, 41);
	assert_true(word(fd) == closed_by(41)); /* the first close stays */

	/* and a third still points at the first */
	close_all(&third, fd);
	assert_int_equal(third.v, FDEND_DOUBLE_CLOSE);
	assert_int_equal(third.first_id, 41);
	assert_true(word(fd) == closed_by(41));
}

/* Linux frees the number even when close fails with EINTR or EIO. */
static void test_close_eintr_eio(void **state)
{
	static const int errs[] = {EINTR, EIO};

	(void)state;
	for (unsigned i = 0; i < sizeof errs / sizeof errs[0]; i++) {
		struct closer a = {.id = 51 + i};
		int fd = shim_socket(tcp_last);

		claim(&a, fd);
		a.ret = fake_close_failing(fd, errs[i], &a.err);
		finish(&a);
		assert_int_equal(a.v, FDEND_CLOSE_ERROR);
		assert_int_equal(a.first_id, 0);
		assert_true(word(fd) == closed_by(51 + i));
		assert_false(kopen[fd]);
	}
}

/* ---- two threads, one socket ---------------------------------------------- */

/* Defect 3 of issue 10: A claims, then B; B's real close reaches the kernel
 * first; A's gets EBADF.  A's is the second close of the socket (it used to
 * be reported as close_error). */
static void test_race_later_claim_closes_first(void **state)
{
	struct closer a = {.id = 61}, b = {.id = 62};
	int fd;

	(void)state;
	fd = shim_socket(tcp_last);
	claim(&a, fd);		/* A */
	claim(&b, fd);		/* B */
	assert_int_equal(a.claimed, tcp_last); /* only A sees the socket */
	assert_int_equal(b.claimed, FD_CLOSED);
	real_close(&b);		/* B: the kernel closes it */
	assert_int_equal(b.ret, 0);
	real_close(&a);		/* A: EBADF */
	assert_int_equal(a.err, EBADF);
	finish(&b);		/* B */
	finish(&a);		/* A */
	assert_int_equal(b.v, FDEND_OK);
	assert_int_equal(a.v, FDEND_DOUBLE_CLOSE);
	assert_int_equal(a.first_id, 62);
	assert_true(word(fd) == closed_by(62));
}

/* The same, A finishing before B does. */
static void test_race_later_claim_closes_first_finish_order(void **state)
{
	struct closer a = {.id = 63}, b = {.id = 64};
	int fd;

	(void)state;
	fd = shim_socket(tcp_last);
	claim(&a, fd);
	claim(&b, fd);
	real_close(&b);
	real_close(&a);
	finish(&a);
	assert_int_equal(a.v, FDEND_DOUBLE_CLOSE);
	assert_int_equal(a.first_id, 64);
	finish(&b);
	assert_int_equal(b.v, FDEND_OK);
	assert_true(word(fd) == closed_by(64));
}

/* The other order: A's real close first; B (claimed second) gets EBADF. */
static void test_race_first_claim_closes_first(void **state)
{
	struct closer a = {.id = 65}, b = {.id = 66};
	int fd;

	(void)state;
	fd = shim_socket(tcp_last);
	claim(&a, fd);
	claim(&b, fd);
	real_close(&a);
	real_close(&b);
	assert_int_equal(a.ret, 0);
	assert_int_equal(b.err, EBADF);
	finish(&a);
	finish(&b);
	assert_int_equal(a.v, FDEND_OK);
	assert_int_equal(b.v, FDEND_DOUBLE_CLOSE);
	assert_int_equal(b.first_id, 65);
	assert_true(word(fd) == closed_by(65)); /* the close that closed it */

	/* B finishing first ends the same */
	fdtab_reset();
	kreset();
	a = (struct closer){.id = 67};
	b = (struct closer){.id = 68};
	fd = shim_socket(tcp_last);
	claim(&a, fd);
	claim(&b, fd);
	real_close(&a);
	real_close(&b);
	finish(&b);
	assert_int_equal(b.v, FDEND_DOUBLE_CLOSE);
	assert_int_equal(b.first_id, 67);
	finish(&a);
	assert_int_equal(a.v, FDEND_OK);
	assert_true(word(fd) == closed_by(67));
}

/* Two threads closing a number already closed: both are double closes, and
 * the entry still says closed.  Which earlier close B names is not asserted:
 * fdend.c names A's (B's claim replaced A's word), itself a failed double
 * close, and leaves A's id in the entry for later double closes, where X's
 * would be the close that really closed the number.  B cannot know at its
 * finish whether A's close succeeded: a known imprecision, not a defect the
 * verdicts show. */
static void test_race_two_double_closes(void **state)
{
	struct closer x = {.id = 71}, a = {.id = 72}, b = {.id = 73};
	int fd;

	(void)state;
	fd = shim_socket(tcp_last);
	close_all(&x, fd);
	claim(&a, fd);
	claim(&b, fd);
	real_close(&a);
	real_close(&b);
	finish(&a);
	finish(&b);
	assert_int_equal(a.v, FDEND_DOUBLE_CLOSE);
	assert_int_equal(a.first_id, 71);
	assert_int_equal(b.v, FDEND_DOUBLE_CLOSE);
	assert_int_not_equal(b.first_id, 0);
	assert_true(fdtab_get(fd) == FD_CLOSED);
}

/* ---- a close racing a number's reuse -------------------------------------- */

/* A closes 5; another thread's socket() gets 5 and records it before A's
 * finish: A must not overwrite the new socket's entry. */
static void test_close_racing_socket(void **state)
{
	struct closer a = {.id = 81};
	int fd, again;

	(void)state;
	kopen[3] = kopen[4] = true;
	fd = shim_socket(tcp_last);
	assert_int_equal(fd, 5);
	claim(&a, fd);
	real_close(&a);
	assert_int_equal(a.ret, 0);
	again = shim_socket(tcp_other); /* the other thread */
	assert_int_equal(again, 5);
	assert_int_equal(fdtab_get(5), tcp_other);
	finish(&a);
	assert_int_equal(a.v, FDEND_OK);
	assert_true(word(5) == fdtab_word_of(tcp_other, 0));
}

/* The same on a number the table had no entry for at the claim: the late
 * record must not overwrite the new socket either. */
static void test_close_racing_socket_unknown(void **state)
{
	struct closer a = {.id = 82};
	int fd, again;

	(void)state;
	fd = fake_scm_rights_arrival(); /* 3, unknown, no chunk */
	claim(&a, fd);
	assert_null(a.end.e);
	real_close(&a);
	again = shim_socket(tcp_other);
	assert_int_equal(again, fd);
	finish(&a);
	assert_int_equal(a.v, FDEND_OK);
	assert_true(word(fd) == fdtab_word_of(tcp_other, 0));
}

/* A double close whose EBADF comes back after the number was reused: the
 * double close's putting back the first close must not overwrite the new
 * socket. */
static void test_double_close_racing_socket(void **state)
{
	struct closer x = {.id = 83}, a = {.id = 84};
	int fd, again;

	(void)state;
	fd = shim_socket(tcp_last);
	close_all(&x, fd);
	claim(&a, fd);
	real_close(&a);
	assert_int_equal(a.err, EBADF);
	again = shim_socket(tcp_other);
	assert_int_equal(again, fd);
	finish(&a);
	assert_int_equal(a.v, FDEND_DOUBLE_CLOSE);
	assert_int_equal(a.first_id, 83);
	assert_true(word(fd) == fdtab_word_of(tcp_other, 0));
}

/* EBADF on an unknown number, the number then taken by a socket() before the
 * finish: close_error, and the socket's entry kept. */
static void test_unknown_ebadf_racing_socket(void **state)
{
	struct closer a = {.id = 85};

	(void)state;
	fdtab_set(40, FD_EPOLL); /* the chunk exists: the claim writes */
	claim(&a, 3);
	real_close(&a);
	assert_int_equal(a.err, EBADF);
	assert_int_equal(shim_socket(tcp_other), 3);
	finish(&a);
	assert_int_equal(a.v, FDEND_CLOSE_ERROR);
	assert_int_equal(a.first_id, 0);
	assert_true(word(3) == fdtab_word_of(tcp_other, 0));
}

/* ---- closes behind the shim's back ---------------------------------------- */

/* A socket closed unseen, its number then filled by an SCM_RIGHTS arrival:
 * the next close's claim returns the old socket's state.  The claim alone
 * cannot know the number holds something else now; a caller about to act on
 * the socket (linger) must check its identity (SO_COOKIE). */
static void test_unseen_close_refilled(void **state)
{
	struct closer a = {.id = 91};
	int fd;

	(void)state;
	fd = shim_socket(tcp_last);
	fake_unseen_close(fd);
	assert_int_equal(fake_scm_rights_arrival(), fd);
	claim(&a, fd);
	assert_int_equal(a.claimed, tcp_last); /* stale: cannot be known here */
	real_close(&a);
	assert_int_equal(a.ret, 0);
	finish(&a);
	assert_int_equal(a.v, FDEND_OK);
	assert_int_equal(a.first_id, 0);
	assert_true(word(fd) == closed_by(91));
}

/* A socket closed unseen, its number free: EBADF on a number the table
 * believes live is a close_error, and the entry forgets the socket. */
static void test_unseen_close_not_refilled(void **state)
{
	struct closer a = {.id = 92};
	int fd;

	(void)state;
	fd = shim_socket(tcp_last);
	fake_unseen_close(fd);
	claim(&a, fd);
	assert_int_equal(a.claimed, tcp_last);
	real_close(&a);
	assert_int_equal(a.err, EBADF);
	finish(&a);
	assert_int_equal(a.v, FDEND_CLOSE_ERROR);
	assert_int_equal(a.first_id, 0);
	assert_true(word(fd) != fdtab_word_of(tcp_last, 0)); /* never put back */
	assert_int_equal(fdtab_get(fd) & FD_SOCKET, 0);
	assert_true(word(fd) == 0); /* unknown */
}

/* ---- unclaim -------------------------------------------------------------- */

static void test_unclaim(void **state)
{
	struct closer a = {.id = 101}, b = {.id = 102};

	(void)state;
	/* the entry still holds the claim: the word comes back, aux too */
	fdtab_set_word(7, FD_PRIVATE, 3);
	claim(&a, 7);
	assert_int_equal(a.claimed, FD_PRIVATE);
	assert_true(word(7) == closed_by(101));
	fdend_unclaim(&a.end);
	assert_true(word(7) == fdtab_word_of(FD_PRIVATE, 3));

	/* another close claimed meanwhile: its claim stays */
	claim(&a, 7);
	claim(&b, 7);
	fdend_unclaim(&a.end);
	assert_true(word(7) == closed_by(102));

	/* a socket() recorded the number meanwhile: it stays */
	fdtab_set_word(8, FD_PRIVATE, 4);
	claim(&a, 8);
	fdtab_set(8, tcp_other);
	fdend_unclaim(&a.end);
	assert_true(word(8) == fdtab_word_of(tcp_other, 0));

	/* no entry: nothing made */
	claim(&a, 5000);
	assert_null(a.end.e);
	fdend_unclaim(&a.end);
	assert_null(fdtab_lookup(5000));
}

/* ---- the plan -------------------------------------------------------------- */

static int config_reports;

static void count_report(void *ctx, const char *name, const char *value, const char *reason)
{
	(void)ctx, (void)name, (void)value, (void)reason;
	config_reports++;
}

/* The configuration config_parse makes of SOCKSHIM_GRACEFUL and
 * SOCKSHIM_EVENTS. */
static void make_config(struct config *cfg, int graceful, int events)
{
	static const char *const gwords[] = {"0", "1", "always"};
	static const char *const ewords[] = {"none", "errors", "all"};
	char g[64], e[64];
	char *envp[] = {g, e, NULL};

	snprintf(g, sizeof g, "%s=%s", SHIM_ENV_GRACEFUL, gwords[graceful]);
	snprintf(e, sizeof e, "%s=%s", SHIM_ENV_EVENTS, ewords[events]);
	config_reports = 0;
	config_parse(envp, cfg, count_report, NULL);
	assert_int_equal(config_reports, 0);
	assert_int_equal(cfg->graceful, graceful);
	assert_int_equal(cfg->events, events);
	assert_int_equal(cfg->sockets_watched,
			 events >= EVENTS_ERRORS || graceful != GRACEFUL_OFF);
}

#define P FDEND_PLAIN
#define R FDEND_PROBE
#define L FDEND_LINGER
#define S FDEND_PROBE_SHARED

/* want[graceful][events], events none/errors/all across. */
static const enum fdend_plan plan_plain[3][3] = {{P, P, P}, {P, P, P}, {P, P, P}};
/* The last reference to a TCP socket made here: linger when graceful is on
 * (or always); otherwise probe when errors are logged. */
static const enum fdend_plan plan_tcp_last[3][3] = {{P, R, R}, {L, L, L}, {L, L, L}};
/* Not the last reference the shim knows of (shared, or not made here):
 * linger only when graceful is always; otherwise, when errors are logged,
 * probed and, if the close would reset, the kernel asked afterwards
 * whether it was the last. */
static const enum fdend_plan plan_tcp_not_last[3][3] = {{P, S, S}, {P, S, S}, {L, L, L}};

#undef P
#undef R
#undef L
#undef S

static void test_plan(void **state)
{
	uint32_t tcp4 = fdtab_socket_state(AF_INET, SOCK_STREAM, 0);
	uint32_t tcp6 = fdtab_socket_state(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	uint32_t inherited = tcp4 & ~FD_CREATED; /* as fdtab_learn records */
	const struct {
		const char *what;
		uint32_t st;
		const enum fdend_plan (*want)[3];
	} cases[] = {
		{"unknown", 0, plan_plain},
		{"epoll", FD_EPOLL, plan_plain},
		{"epoll cloexec", FD_EPOLL | FD_CLOSE_ON_EXEC, plan_plain},
		{"udp", fdtab_socket_state(AF_INET, SOCK_DGRAM, 0), plan_plain},
		{"sctp stream", fdtab_socket_state(AF_INET, SOCK_STREAM, IPPROTO_SCTP), plan_plain},
		{"netlink", fdtab_socket_state(AF_NETLINK, SOCK_RAW, 0), plan_plain},
		{"unix stream", fdtab_socket_state(AF_UNIX, SOCK_STREAM, 0), plan_plain},
		{"unix dgram", fdtab_socket_state(AF_UNIX, SOCK_DGRAM, 0), plan_plain},
		{"unix stream shared",
		 fdtab_socket_state(AF_UNIX, SOCK_STREAM, 0) | FD_SHARED, plan_plain},
		{"tcp4 created", tcp4, plan_tcp_last},
		{"tcp6 created cloexec", tcp6, plan_tcp_last},
		{"tcp4 created linger0", tcp4 | FD_LINGER_ZERO, plan_tcp_last},
		{"tcp4 created shared", tcp4 | FD_SHARED, plan_tcp_not_last},
		{"tcp6 created shared", tcp6 | FD_SHARED, plan_tcp_not_last},
		{"tcp4 inherited", inherited, plan_tcp_not_last},
		{"tcp4 inherited shared", inherited | FD_SHARED, plan_tcp_not_last},
		{"closed", FD_CLOSED, plan_plain},
		{"closed tcp bits", FD_CLOSED | tcp4, plan_plain},
		{"private", FD_PRIVATE, plan_plain},
		{"private tcp bits", FD_PRIVATE | tcp4, plan_plain},
	};
	static const char *const gname[] = {"off", "on", "always"};
	static const char *const ename[] = {"none", "errors", "all"};
	int bad = 0, checked = 0;

	(void)state;
	for (int g = GRACEFUL_OFF; g <= GRACEFUL_ALWAYS; g++) {
		for (int ev = EVENTS_NONE; ev <= EVENTS_ALL; ev++) {
			struct config cfg;

			make_config(&cfg, g, ev);
			for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
				enum fdend_plan got = fdend_plan(cases[i].st, &cfg);
				enum fdend_plan want = cases[i].want[g][ev];

				checked++;
				if (got != want) {
					print_error("plan(%s, graceful=%s, events=%s) = %d, want %d\n",
						    cases[i].what, gname[g], ename[ev], got, want);
					bad++;
				}
			}
		}
	}
	assert_int_equal(checked, 9 * (int)(sizeof cases / sizeof cases[0]));
	assert_int_equal(bad, 0);
}

/* ---- close_range ----------------------------------------------------------- */

static void test_range(void **state)
{
	uint32_t udp = fdtab_socket_state(AF_INET, SOCK_DGRAM, 0);

	(void)state;
	fdtab_set(9, tcp_last);			/* below the range */
	fdtab_set(10, tcp_last);
	fdtab_set_word(11, FD_PRIVATE, 2);	/* the shim's own */
	fdtab_set_word(12, FD_CLOSED, 5);	/* closed before */
	fdtab_set(13, FD_EPOLL | FD_CLOSE_ON_EXEC);
	/* 14: unknown */
	fdtab_set(15, udp | FD_SHARED);
	fdtab_set(16, tcp_other);		/* above the range */
	/* the shim's own and closed ones with other bits too: fdtab_each's
	 * filter alone would not keep these */
	fdtab_set_word(17, FD_PRIVATE | FD_CLOSE_ON_EXEC, 6);
	fdtab_set_word(18, FD_CLOSED | FD_CLOSE_ON_EXEC, 7);
	fdtab_set(19, tcp_last);
	fdend_range(10, 15, 77);
	assert_true(word(9) == fdtab_word_of(tcp_last, 0));
	assert_true(word(10) == closed_by(77));
	assert_true(word(11) == fdtab_word_of(FD_PRIVATE, 2));
	assert_true(word(12) == closed_by(5));
	assert_true(word(13) == closed_by(77));
	assert_true(word(14) == 0);
	assert_true(word(15) == closed_by(77));
	assert_true(word(16) == fdtab_word_of(tcp_other, 0));
	fdend_range(17, 19, 80);
	assert_true(word(17) == fdtab_word_of(FD_PRIVATE | FD_CLOSE_ON_EXEC, 6));
	assert_true(word(18) == fdtab_word_of(FD_CLOSED | FD_CLOSE_ON_EXEC, 7));
	assert_true(word(19) == closed_by(80));
	assert_true(word(16) == fdtab_word_of(tcp_other, 0));

	/* across chunks, up to INT_MAX (closefrom), past the last known */
	fdtab_set(4095, tcp_last);
	fdtab_set(4096, tcp_last);
	fdtab_set_word(8191, FD_PRIVATE, 9);
	fdtab_set(1 << 20, tcp_other);
	fdend_range(4000, INT_MAX, 78);
	assert_true(word(4095) == closed_by(78));
	assert_true(word(4096) == closed_by(78));
	assert_true(word(8191) == fdtab_word_of(FD_PRIVATE, 9));
	assert_true(word(1 << 20) == closed_by(78));
	assert_true(word(16) == fdtab_word_of(tcp_other, 0));
	assert_true(word(9) == fdtab_word_of(tcp_last, 0));

	/* a single number */
	fdend_range(9, 9, 79);
	assert_true(word(9) == closed_by(79));
	assert_true(word(10) == closed_by(77));
}

/* ---- threads --------------------------------------------------------------- */

/* Two pairs of threads; in each round both threads of a pair claim, close
 * and finish the same number of a fake kernel made of atomics, in which
 * exactly one close succeeds. */
#define PAIRS 2
#define ROUNDS 20000
#ifndef SPIN_CLAIM
#define SPIN_CLAIM 256
#endif
#ifndef SPIN_CLOSE
#define SPIN_CLOSE 1024
#endif

static int akopen[PAIRS];

static int atomic_close(int pair, int *err)
{
	if (__atomic_exchange_n(&akopen[pair], 0, __ATOMIC_ACQ_REL)) {
		*err = 0;
		return 0;
	}
	*err = EBADF;
	return -1;
}

struct pair {
	int arrived, generation; /* the pair's gate */
	int fd;
	struct closer t[2];
	/* counted by the pair's first thread, asserted by the main thread */
	int ok, double_close, close_error, wrong_first, wrong_word, bad_rounds;
	int not_one_saw_socket;
	int loser_claimed_first; /* the defect-3 order: claimed first, closed second */
};
static struct pair pairs[PAIRS];

struct stress_arg {
	int pair, side;
};

/* Waits for the other thread of the pair.  Spinning, so that both leave at
 * nearly the same moment (a futex wake lets the last one arrive run alone for
 * microseconds), yielding when the other is not running. */
static void gate(struct pair *p)
{
	int gen = __atomic_load_n(&p->generation, __ATOMIC_ACQUIRE);

	if (__atomic_add_fetch(&p->arrived, 1, __ATOMIC_ACQ_REL) == 2) {
		__atomic_store_n(&p->arrived, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&p->generation, gen + 1, __ATOMIC_RELEASE);
		return;
	}
	for (int n = 0; __atomic_load_n(&p->generation, __ATOMIC_ACQUIRE) == gen; n++)
		if (n > 1000)
			sched_yield();
}

/* A short busy wait of a pseudo-random length below max, so that the two
 * threads' steps interleave in every order. */
static void spin(uint32_t *seed, uint32_t max)
{
	*seed = *seed * 1103515245u + 12345u;
	for (uint32_t n = (*seed >> 8) % max; n > 0; n--)
		__asm__ volatile("" ::: "memory");
}

static void *stress(void *arg)
{
	struct stress_arg *sa = arg;
	struct pair *p = &pairs[sa->pair];
	struct closer *me = &p->t[sa->side];
	uint32_t seed = (uint32_t)(sa->pair * 2 + sa->side) * 2654435761u + 1;

	for (int r = 0; r < ROUNDS; r++) {
		if (sa->side == 0) {
			/* a fresh socket at the number */
			__atomic_store_n(&akopen[sa->pair], 1, __ATOMIC_RELEASE);
			fdtab_set(p->fd, tcp_last);
		}
		gate(p);
		/* ids unique over every thread and round, never 0 */
		me->id = (uint32_t)(r * PAIRS * 2 + sa->pair * 2 + sa->side + 1);
		spin(&seed, SPIN_CLAIM);
		claim(me, p->fd);
		spin(&seed, SPIN_CLOSE); /* lets the other claim and close in between */
		me->ret = atomic_close(sa->pair, &me->err);
		spin(&seed, 64);
		finish(me);
		gate(p);
		if (sa->side == 0) {
			struct closer *w = NULL, *l = NULL;

			for (int i = 0; i < 2; i++) {
				struct closer *t = &p->t[i];

				if (t->v == FDEND_OK)
					p->ok++, w = t;
				else if (t->v == FDEND_DOUBLE_CLOSE)
					p->double_close++, l = t;
				else
					p->close_error++;
			}
			if (!w || !l) {
				p->bad_rounds++;
				continue;
			}
			if (l->err != EBADF || w->ret != 0)
				p->bad_rounds++;
			if (l->claimed == tcp_last)
				p->loser_claimed_first++;
			if ((w->claimed == tcp_last) == (l->claimed == tcp_last))
				p->not_one_saw_socket++; /* exactly one claim sees it */
			if (l->first_id != w->id)
				p->wrong_first++;
			if (word(p->fd) != closed_by(w->id))
				p->wrong_word++;
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t th[PAIRS][2];
	struct stress_arg args[PAIRS][2];

	(void)state;
	for (int i = 0; i < PAIRS; i++) {
		memset(&pairs[i], 0, sizeof pairs[i]);
		pairs[i].fd = 100 + i * 4096; /* one in a chunk of its own */
		for (int s = 0; s < 2; s++) {
			args[i][s] = (struct stress_arg){i, s};
			assert_int_equal(pthread_create(&th[i][s], NULL, stress, &args[i][s]), 0);
		}
	}
	for (int i = 0; i < PAIRS; i++)
		for (int s = 0; s < 2; s++)
			pthread_join(th[i][s], NULL);
	for (int i = 0; i < PAIRS; i++) {
		struct pair *p = &pairs[i];

		assert_int_equal(p->close_error, 0);
		assert_int_equal(p->bad_rounds, 0);
		assert_int_equal(p->ok, ROUNDS);
		assert_int_equal(p->double_close, ROUNDS);
		assert_int_equal(p->wrong_first, 0);
		assert_int_equal(p->wrong_word, 0);
		assert_int_equal(p->not_one_saw_socket, 0);
		print_message("pair %d: %d of %d rounds in the defect-3 order\n", i,
			      p->loser_claimed_first, ROUNDS);
	}
}

/* ---- defects --------------------------------------------------------------- */

/* Defect (fixed with after_id): a close that got EBADF was reported as a
 * double close of a LATER close when, between its real close and its
 * finish, another thread's socket() takes the number and closes it.
 *
 * A closes 3, which the program never opened (or which was closed behind the
 * shim's back): EBADF.  Before A's fdend_finish runs, thread B's socket()
 * gets 3 and B closes it (claim, real close, finish: OK).  A's finish sees
 * its claim gone and a FD_CLOSED word in the entry, takes it for the
 * defect-3 race (a later claim that reached the kernel first) and answers
 * DOUBLE_CLOSE with first_id = B's close, which happened after A's EBADF and
 * closed a different socket.  The close was a close_error. */
static void test_ebadf_then_reuse_and_close_is_not_a_double_close(void **state)
{
	/* A's after_id is taken when its real close returns, before B's id */
	struct closer a = {.id = 111, .after = 112}, b = {.id = 113};

	(void)state;
	fdtab_set(40, FD_EPOLL); /* the chunk exists: the claim writes */
	claim(&a, 3);
	real_close(&a);
	assert_int_equal(a.err, EBADF);
	assert_int_equal(shim_socket(tcp_other), 3); /* B */
	close_all(&b, 3);			     /* B */
	assert_int_equal(b.claimed, tcp_other);
	assert_int_equal(b.v, FDEND_OK);
	finish(&a);
	assert_true(word(3) == closed_by(113));
	assert_int_equal(a.v, FDEND_CLOSE_ERROR); /* was DOUBLE_CLOSE */
	assert_int_equal(a.first_id, 0);	  /* was 113, B's close */
}

/* Defect (latent; fixed with anonymous ids): fdend_claim accepted close_id 0 ("when none is
 * kept"), but then two claims write the same word, and the defect-3 race
 * (A claims, B claims, B's real close first, A gets EBADF) is not seen: A's
 * finish finds its own word still there, answers CLOSE_ERROR and resets the
 * entry to unknown, although the number was closed by this process. */
static void test_race_without_close_ids(void **state)
{
	struct closer a = {.id = 0}, b = {.id = 0};
	int fd;

	(void)state;
	fd = shim_socket(tcp_last);
	claim(&a, fd);
	claim(&b, fd);
	real_close(&b);
	real_close(&a);
	finish(&b);
	finish(&a);
	assert_int_equal(b.v, FDEND_OK);
	assert_int_equal(a.v, FDEND_DOUBLE_CLOSE); /* was CLOSE_ERROR */
	assert_int_equal(fdtab_state_of(word(fd)), FD_CLOSED); /* was 0, unknown */
	assert_int_equal(a.first_id, 0); /* an anonymous close names nothing */
}

/* Defect (minor; fixed): a close that ends the number with EINTR or EIO was
 * recorded FD_CLOSED only if the number had an entry: for a
 * number with no chunk yet the table stays unknown, whereas a successful
 * close of the same number is recorded late (fdend.h: "FD_CLOSED after a
 * close that ended the number (Linux frees it even when close fails)").  A
 * later double close of that number is then reported as close_error. */
static void test_eio_on_unknown_number_recorded(void **state)
{
	struct closer a = {.id = 121}, b = {.id = 122};
	int fd;

	(void)state;
	fd = fake_scm_rights_arrival(); /* unknown, no chunk */
	claim(&a, fd);
	a.ret = fake_close_failing(fd, EIO, &a.err);
	finish(&a);
	assert_int_equal(a.v, FDEND_CLOSE_ERROR);
	assert_true(word(fd) == closed_by(121)); /* was: no entry */
	close_all(&b, fd);
	assert_int_equal(b.err, EBADF);
	assert_int_equal(b.v, FDEND_DOUBLE_CLOSE);
	assert_int_equal(b.first_id, 121);
}

/* Defect (fixed): fdend_finish compared ids as signed 32-bit numbers,
 * but they are 31 bits (close_history's counter without FDEND_ANONYMOUS)
 * and wrap from 0x7fffffff to 1.  Across the wrap, a close taken after
 * after_id looked taken before it: the EBADF of
 * test_ebadf_then_reuse_and_close_is_not_a_double_close, with B's close
 * the first id after the wrap, was a double_close naming B's close. */
static void test_regress_ids_across_wrap_reuse_after(void **state)
{
	struct closer a = {.id = 0x7ffffffd, .after = 0x7ffffffe}, b = {.id = 1};

	(void)state;
	fdtab_set(40, FD_EPOLL);
	claim(&a, 3);
	real_close(&a);
	assert_int_equal(a.err, EBADF);
	assert_int_equal(shim_socket(tcp_other), 3);
	close_all(&b, 3);
	assert_int_equal(b.v, FDEND_OK);
	finish(&a);
	assert_true(word(3) == closed_by(1));
	assert_int_equal(a.v, FDEND_CLOSE_ERROR); /* was DOUBLE_CLOSE */
	assert_int_equal(a.first_id, 0);	  /* was 1, B's close */
}

/* The other side of the same defect: the race of
 * test_race_later_claim_closes_first with B's id the last before the wrap
 * and A's after_id after it: B's close looked taken after A's real close,
 * and A's second close of the socket was a close_error. */
static void test_regress_ids_across_wrap_race(void **state)
{
	struct closer a = {.id = 0x7ffffffe, .after = 2}, b = {.id = 0x7fffffff};
	int fd;

	(void)state;
	fd = shim_socket(tcp_last);
	claim(&a, fd);
	claim(&b, fd);
	real_close(&b);
	real_close(&a);
	assert_int_equal(a.err, EBADF);
	finish(&b);
	finish(&a);
	assert_int_equal(b.v, FDEND_OK);
	assert_int_equal(a.v, FDEND_DOUBLE_CLOSE); /* was CLOSE_ERROR */
	assert_int_equal(a.first_id, 0x7fffffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_plain_close, reset),
		cmocka_unit_test_setup(test_unknown_close_ok, reset),
		cmocka_unit_test_setup(test_unknown_close_ebadf, reset),
		cmocka_unit_test_setup(test_double_close_one_thread, reset),
		cmocka_unit_test_setup(test_close_eintr_eio, reset),
		cmocka_unit_test_setup(test_race_later_claim_closes_first, reset),
		cmocka_unit_test_setup(test_race_later_claim_closes_first_finish_order, reset),
		cmocka_unit_test_setup(test_race_first_claim_closes_first, reset),
		cmocka_unit_test_setup(test_race_two_double_closes, reset),
		cmocka_unit_test_setup(test_close_racing_socket, reset),
		cmocka_unit_test_setup(test_close_racing_socket_unknown, reset),
		cmocka_unit_test_setup(test_double_close_racing_socket, reset),
		cmocka_unit_test_setup(test_unknown_ebadf_racing_socket, reset),
		cmocka_unit_test_setup(test_unseen_close_refilled, reset),
		cmocka_unit_test_setup(test_unseen_close_not_refilled, reset),
		cmocka_unit_test_setup(test_unclaim, reset),
		cmocka_unit_test_setup(test_plan, reset),
		cmocka_unit_test_setup(test_range, reset),
		cmocka_unit_test_setup(test_threads, reset),
		cmocka_unit_test_setup(test_ebadf_then_reuse_and_close_is_not_a_double_close,
				       reset),
		cmocka_unit_test_setup(test_race_without_close_ids, reset),
		cmocka_unit_test_setup(test_eio_on_unknown_number_recorded, reset),
		cmocka_unit_test_setup(test_regress_ids_across_wrap_reuse_after, reset),
		cmocka_unit_test_setup(test_regress_ids_across_wrap_race, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
