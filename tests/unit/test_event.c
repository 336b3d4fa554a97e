/* Unit tests of event records: every field of the contract, read back with
 * jansson. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dlfcn.h>
#include <link.h>

#include "backtrace.h"
#include "close_history.h"
#include "event.h"
#include "fdtab.h"
#include "record.h"
#include "proc.h"
#include "sockshim.h"
#include "symcache.h"

static json_t *build(const struct event *ev, void *const *bt, int n)
{
	static char buf[SHIM_RECORD_MAX];
	struct record r;
	json_error_t err;
	size_t len;
	json_t *j;

	event_build(ev, bt, n, &r, buf, sizeof buf);
	len = rec_end(&r);
	assert_true(len <= sizeof buf);
	if (getenv("TEST_EVENT_SHOW"))
		fprintf(stderr, "%.*s", (int)len, buf);
	j = json_loadb(buf, len, 0, &err);
	if (!j)
		fail_msg("%s: %.*s", err.text, (int)len, buf);
	return j;
}

static const char *str(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	if (!json_is_string(v))
		fail_msg("no string field %s", key);
	return json_string_value(v);
}

static long long num(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	if (!json_is_integer(v))
		fail_msg("no integer field %s", key);
	return json_integer_value(v);
}

/* A connected loopback pair, for the address fields. */
static void tcp_pair(int *a, int *b)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof sa;
	int l = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(l, 1), 0);
	getsockname(l, (struct sockaddr *)&sa, &len);
	*a = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(*a, (struct sockaddr *)&sa, sizeof sa), 0);
	*b = accept(l, NULL, NULL);
	close(l);
}

static void test_common_fields(void **state)
{
	struct event ev = EVENT_INIT("close_error", LOG_SEV_ERROR);
	json_t *j;

	(void)state;
	proc_pid = getpid(); /* as the shim's initialisation keeps it */
	proc_owner_pid = proc_pid;
	strcpy(proc_prog, "unit\xff\"prog");
	j = build(&ev, NULL, 0);
	assert_int_equal(num(j, "pid"), getpid());
	assert_int_equal(num(j, "tid"), gettid());
	assert_string_equal(str(j, "prog"), "unit\xef\xbf\xbd\"prog");
	assert_string_equal(str(j, "event"), "close_error");
	assert_int_equal(strlen(str(j, "ts")), 27);
	/* nothing that was not set */
	assert_int_equal(json_object_size(j), 5);
	json_decref(j);
}

/* "prog" and "host" are formatted once for all records (event.c's
 * prog_host), and only while the names are still the ones it was made
 * of: a name changed afterwards (the supervisor renames its program after
 * proc_init) is what the next record says. */
static void set_name(char *dst, size_t size, const char *name)
{
	memset(dst, 0, size);
	strcpy(dst, name);
}

/* Runs first in the group: the first record of the process makes the
 * formatted copy, so the names here are the ones it is made of. */
static void test_prog_host_follow_the_names(void **state)
{
	char before[sizeof proc_prog], host_before[sizeof proc_host];
	struct event ev = EVENT_INIT("close_error", LOG_SEV_ERROR);
	json_t *j;

	(void)state;
	memcpy(before, proc_prog, sizeof before);
	memcpy(host_before, proc_host, sizeof host_before);
	set_name(proc_prog, sizeof proc_prog, "first");
	set_name(proc_host, sizeof proc_host, "h\\1");
	for (int i = 0; i < 2; i++) { /* the first makes it, the second uses it */
		j = build(&ev, NULL, 0);
		assert_string_equal(str(j, "prog"), "first");
		assert_string_equal(str(j, "host"), "h\\1");
		json_decref(j);
	}
	set_name(proc_prog, sizeof proc_prog, "second\"x");
	j = build(&ev, NULL, 0);
	assert_string_equal(str(j, "prog"), "second\"x");
	assert_string_equal(str(j, "host"), "h\\1");
	json_decref(j);
	set_name(proc_prog, sizeof proc_prog, "first"); /* the host alone renamed */
	set_name(proc_host, sizeof proc_host, "h2");
	j = build(&ev, NULL, 0);
	assert_string_equal(str(j, "prog"), "first");
	assert_string_equal(str(j, "host"), "h2");
	json_decref(j);
	memset(proc_host, 0, sizeof proc_host);
	j = build(&ev, NULL, 0);
	assert_string_equal(str(j, "prog"), "first");
	assert_null(json_object_get(j, "host"));
	json_decref(j);
	memcpy(proc_prog, before, sizeof before);
	memcpy(proc_host, host_before, sizeof host_before);
}

static void test_socket_fields(void **state)
{
	struct event ev = EVENT_INIT("close_rst", LOG_SEV_ERROR);
	char peer[32];
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int a, b;
	json_t *j;

	(void)state;
	tcp_pair(&a, &b);
	ev.fd = b;
	ev.fd_state = fdtab_socket_state(AF_INET, SOCK_STREAM, 0);
	ev.addresses = true;
	ev.err = ECONNRESET;
	ev.reason = "unread_data";
	ev.unread = 4242;
	ev.drained = 7;
	ev.ms = 1000;
	j = build(&ev, NULL, 0);
	assert_int_equal(num(j, "fd"), b);
	assert_string_equal(str(j, "family"), "inet");
	assert_string_equal(str(j, "type"), "stream");
	getsockname(a, (struct sockaddr *)&sa, &len);
	snprintf(peer, sizeof peer, "127.0.0.1:%u", ntohs(sa.sin_port));
	assert_string_equal(str(j, "peer"), peer);
	assert_non_null(strstr(str(j, "local"), "127.0.0.1:"));
	assert_string_equal(str(j, "errno"), "ECONNRESET");
	assert_string_equal(str(j, "error"), "Connection reset by peer");
	assert_string_equal(str(j, "reason"), "unread_data");
	assert_int_equal(num(j, "unread"), 4242);
	assert_int_equal(num(j, "drained"), 7);
	assert_int_equal(num(j, "ms"), 1000);
	json_decref(j);
	close(a);
	close(b);
}

static void test_inet6_and_unix_addresses(void **state)
{
	struct event ev = EVENT_INIT("close", LOG_SEV_INFO);
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	json_t *j;

	(void)state;
	assert_int_equal(bind(fd, (struct sockaddr *)&s6, sizeof s6), 0);
	ev.fd = fd;
	ev.fd_state = fdtab_socket_state(AF_INET6, SOCK_STREAM, 0);
	ev.addresses = true;
	j = build(&ev, NULL, 0);
	assert_string_equal(str(j, "family"), "inet6");
	assert_memory_equal(str(j, "local"), "[::1]:", 6);
	assert_null(json_object_get(j, "peer"));
	json_decref(j);
	close(fd);
}

static void test_config_error_fields(void **state)
{
	struct event ev = EVENT_INIT("config_error", LOG_SEV_ERROR);
	json_t *j;

	(void)state;
	ev.variable = "SOCKSHIM_LINGER_MS";
	ev.value = "ten\n";
	ev.reason = "expected milliseconds";
	j = build(&ev, NULL, 0);
	assert_string_equal(str(j, "variable"), "SOCKSHIM_LINGER_MS");
	assert_string_equal(str(j, "value"), "ten\n");
	assert_null(json_object_get(j, "fd"));
	json_decref(j);
}

static void test_option_fields(void **state)
{
	struct event ev = EVENT_INIT("setsockopt_error", LOG_SEV_ERROR);
	json_t *j;

	(void)state;
	ev.has_option = true;
	ev.level = SOL_SOCKET;
	ev.option = SO_LINGER;
	j = build(&ev, NULL, 0);
	assert_string_equal(str(j, "level"), "SOL_SOCKET");
	assert_string_equal(str(j, "option"), "SO_LINGER");
	json_decref(j);
	ev.level = 999;
	ev.option = 77;
	j = build(&ev, NULL, 0);
	assert_int_equal(num(j, "level"), 999);
	assert_int_equal(num(j, "option"), 77);
	json_decref(j);
}

__attribute__((noinline)) void unit_frame_function(void);
__attribute__((noinline)) void unit_frame_function(void)
{
	__asm__ volatile("");
}

static void test_backtraces(void **state)
{
	struct event ev = EVENT_INIT("double_close", LOG_SEV_ERROR);
	/* (a return address: one inside the function, its symbol that of
	 * the byte before, symcache.c) */
	void *ips[2] = {(char *)(void *)unit_frame_function + 1, (void *)0x10};
	void *earlier[CLOSE_HISTORY_DEPTH], *got[CLOSE_HISTORY_DEPTH];
	json_t *j, *bt, *f;
	uint32_t id;
	int n;

	(void)state;
	assert_true(backtrace_init());
	n = backtrace_capture(earlier, CLOSE_HISTORY_DEPTH);
	id = close_history_record(earlier, n);
	assert_true(id != 0);
	ev.first_bt = got;
	ev.first_bt_n = close_history_get(id, got);
	assert_int_equal(ev.first_bt_n, n);
	j = build(&ev, ips, 2);
	bt = json_object_get(j, "backtrace");
	assert_int_equal(json_array_size(bt), 2);
	f = json_array_get(bt, 0);
	assert_string_equal(str(f, "symbol"), "unit_frame_function+0x1");
	assert_non_null(strstr(str(f, "module"), "test_event"));
	assert_memory_equal(str(f, "ip"), "0x", 2);
	assert_memory_equal(str(f, "offset"), "0x", 2);
	/* an address in no object: only its ip */
	f = json_array_get(bt, 1);
	assert_string_equal(str(f, "ip"), "0x10");
	assert_null(json_object_get(f, "module"));
	/* the earlier close's backtrace is there (which frames it holds is
	 * checked by the integration tests: here the shim's code and the test's
	 * are one object, and the shim's frames are left out) */
	bt = json_object_get(j, "first_backtrace");
	assert_true(json_array_size(bt) >= 1);
	assert_non_null(strstr(str(json_array_get(bt, 0), "module"), "libc"));
	json_decref(j);
}

/* Frames of these addresses alone in a record of cap bytes, into out. */
static void frames_text(void *const *ips, int n, size_t cap, char *out)
{
	static char buf[SHIM_RECORD_MAX];
	struct record r;
	size_t len;

	rec_begin(&r, buf, cap);
	backtrace_add(&r, "backtrace", ips, n, true);
	len = rec_end(&r);
	memcpy(out, buf, len);
	out[len] = '\0';
}

__attribute__((noinline)) void unit_frame_other(void);
__attribute__((noinline)) void unit_frame_other(void)
{
	__asm__ volatile("nop; nop; nop; nop; nop; nop; nop; nop");
}

/* A backtrace written before is copied from its kept text: the same
 * bytes.  Backtraces kept in one slot (the same first and last address
 * and length) are told apart by every address; after the names are
 * forgotten (a dlclose), and where the kept text does not fit, the frames
 * are written again, one by one. */
static void test_backtrace_text_kept(void **state)
{
	/* (return addresses: inside their functions, symcache.c) */
	void *x[3] = {(char *)(void *)unit_frame_function + 1, (char *)unit_frame_other + 4,
		      (char *)(void *)unit_frame_function + 1};
	void *y[3] = {(char *)(void *)unit_frame_function + 1, (char *)unit_frame_other + 5,
		      (char *)(void *)unit_frame_function + 1};
	static char x1[SHIM_RECORD_MAX], x2[SHIM_RECORD_MAX], y1[SHIM_RECORD_MAX],
		y2[SHIM_RECORD_MAX], cut[SHIM_RECORD_MAX];

	(void)state;
	assert_true(backtrace_init());
	frames_text(x, 3, SHIM_RECORD_MAX, x1);
	if (!strstr(x1, "\"symbol\":\"unit_frame_other+0x4\""))
		fail_msg("%s", x1);
	frames_text(y, 3, SHIM_RECORD_MAX, y1);
	assert_non_null(strstr(y1, "\"symbol\":\"unit_frame_other+0x5\""));
	assert_null(strstr(y1, "unit_frame_other+0x4"));
	frames_text(x, 3, SHIM_RECORD_MAX, x2);
	assert_string_equal(x2, x1);
	frames_text(y, 3, SHIM_RECORD_MAX, y2);
	assert_string_equal(y2, y1);
	symcache_invalidate();
	frames_text(x, 3, SHIM_RECORD_MAX, x2);
	assert_string_equal(x2, x1);
	/* room for the first frame only: cut there, as the first time */
	frames_text(x, 3, (size_t)(strchr(x1, '}') - x1) + 60, cut);
	assert_non_null(strstr(cut, "\"truncated\":true"));
	assert_non_null(strstr(cut, "unit_frame_function+0x1"));
	assert_null(strstr(cut, "unit_frame_other"));
}

/* A site's id is kept per return addresses: the same addresses, the same
 * id as made the first time; other addresses (200 of them, so that many
 * share a slot), each their own; inside a handler (no look-up) the kept
 * one; after the names are forgotten, made again, the same. */
static void test_site_kept(void **state)
{
	static uint64_t site[200];
	char *f = (char *)unit_frame_function;

	(void)state;
	assert_true(backtrace_init());
	for (int k = 0; k < 200; k++) {
		void *v[4] = {f, f + 16 + k, f, f};

		site[k] = backtrace_site(v, 4, true);
		for (int j = 0; j < k; j++)
			if (site[j] == site[k])
				fail_msg("frames %d and %d: one site", j, k);
	}
	for (int k = 0; k < 200; k++) {
		void *v[4] = {f, f + 16 + k, f, f};

		assert_true(backtrace_site(v, 4, true) == site[k]);
		assert_true(backtrace_site(v, 4, false) == site[k]);
		assert_true(backtrace_site(v, 6, true) == site[k]); /* beyond BT_SITE_FRAMES */
		assert_true(backtrace_site(v, 3, true) != site[k]);
	}
	symcache_invalidate();
	for (int k = 0; k < 200; k++) {
		void *v[4] = {f, f + 16 + k, f, f};

		assert_true(backtrace_site(v, 4, true) == site[k]);
	}
}

/* A record about another process (the supervisor's): its pid, tid, prog and
 * frames named by the caller, written with the fields of backtrace_add's;
 * the site id the same as for the same frames found here. */
static void test_foreign(void **state)
{
	struct event ev = EVENT_INIT("double_close", LOG_SEV_ERROR);
	struct event_frame fr[2] = {
		{0x401234, "/opt/app/server", 0x1234, "answer_and_close", 0x1f},
		{0x10, NULL, 0, NULL, 0},
	};
	struct event_frame first[1] = {{0x401000, "/opt/app/server", 0x1000, NULL, 0}};
	struct event_foreign who = {4242, 4243, "server", fr, first, 2, 1};
	void *here[1] = {(void *)unit_frame_function};
	struct event_frame named;
	json_t *j, *bt, *f;

	(void)state;
	ev.foreign = &who;
	ev.backtrace = false;
	j = build(&ev, NULL, 0);
	assert_int_equal(num(j, "pid"), 4242);
	assert_int_equal(num(j, "tid"), 4243);
	assert_string_equal(str(j, "prog"), "server");
	bt = json_object_get(j, "backtrace");
	assert_int_equal(json_array_size(bt), 2);
	f = json_array_get(bt, 0);
	assert_string_equal(str(f, "ip"), "0x401234");
	assert_string_equal(str(f, "module"), "/opt/app/server");
	assert_string_equal(str(f, "offset"), "0x1234");
	assert_string_equal(str(f, "symbol"), "answer_and_close+0x1f");
	f = json_array_get(bt, 1);
	assert_string_equal(str(f, "ip"), "0x10");
	assert_null(json_object_get(f, "module"));
	bt = json_object_get(j, "first_backtrace");
	assert_int_equal(json_array_size(bt), 1);
	assert_null(json_object_get(json_array_get(bt, 0), "symbol"));
	json_decref(j);
	/* the site of frames named elsewhere is the site of the same frames
	 * found in this process */
	assert_true(backtrace_init());
	{
		Dl_info info;
		struct link_map *lm = NULL;

		assert_true(dladdr1(here[0], &info, (void **)&lm, RTLD_DL_LINKMAP) && lm);
		named.ip = (uintptr_t)here[0];
		named.module = lm->l_name[0] ? lm->l_name : "/proc/self/exe";
		named.offset = (uintptr_t)here[0] - lm->l_addr;
		named.symbol = NULL;
		if (!lm->l_name[0]) {
			static char exe[4096];
			ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

			exe[n > 0 ? n : 0] = '\0';
			named.module = exe;
		}
	}
	assert_true(event_frames_site(&named, 1) == backtrace_site(here, 1, true));
}

static void test_history_overwritten(void **state)
{
	void *ips[CLOSE_HISTORY_DEPTH], *frames[2] = {(void *)0x1000, (void *)0x2000};
	uint32_t first = close_history_record(frames, 2);

	(void)state;
	assert_int_equal(close_history_get(first, ips), 2);
	assert_ptr_equal(ips[1], (void *)0x2000);
	for (int i = 0; i < CLOSE_HISTORY_SLOTS; i++)
		close_history_record(frames, 1);
	assert_int_equal(close_history_get(first, ips), 0);
	assert_int_equal(close_history_get(0, ips), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prog_host_follow_the_names),
		cmocka_unit_test(test_common_fields),
		cmocka_unit_test(test_socket_fields),
		cmocka_unit_test(test_inet6_and_unix_addresses),
		cmocka_unit_test(test_config_error_fields),
		cmocka_unit_test(test_option_fields),
		cmocka_unit_test(test_backtraces),
		cmocka_unit_test(test_backtrace_text_kept),
		cmocka_unit_test(test_site_kept),
		cmocka_unit_test(test_history_overwritten),
		cmocka_unit_test(test_foreign),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
