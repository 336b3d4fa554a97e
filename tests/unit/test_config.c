/* Unit tests of the configuration parser: every variable, good and bad
 * values, typos. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

/* What the parser reported. */
static struct {
	int count;
	char name[128], value[4096], reason[128];
	int has_value;
} rep;

static void record_report(void *ctx, const char *name, const char *value, const char *reason)
{
	(void)ctx;
	rep.count++;
	strncpy(rep.name, name, sizeof rep.name - 1);
	rep.has_value = value != NULL;
	if (value)
		strncpy(rep.value, value, sizeof rep.value - 1);
	strncpy(rep.reason, reason, sizeof rep.reason - 1);
}

/* Parses one NAME=value entry into *cfg. */
static void parse1(const char *entry, struct config *cfg)
{
	char *envp[] = {(char *)entry, NULL};

	memset(&rep, 0, sizeof rep);
	config_parse(envp, cfg, record_report, NULL);
}

static void test_defaults(void **state)
{
	struct config cfg;
	char *envp[] = {"PATH=/bin", "HOME=/root", "SOCKSHIMX=1", NULL};

	(void)state;
	memset(&rep, 0, sizeof rep);
	config_parse(envp, &cfg, record_report, NULL);
	assert_int_equal(rep.count, 0);
	assert_false(cfg.reuseaddr);
	assert_false(cfg.reuseport);
	assert_int_equal(cfg.graceful, GRACEFUL_OFF);
	assert_int_equal(cfg.linger_ms, 1000);
	assert_int_equal(cfg.linger_mode, LINGER_ASYNC);
	assert_int_equal(cfg.log_dest, LOG_STDERR);
	assert_int_equal(cfg.events, EVENTS_ERRORS);
	assert_true(cfg.backtrace);
	assert_int_equal(cfg.backtrace_depth, 16);
	assert_int_equal(cfg.raw, RAW_OFF);
}

static void test_null_env(void **state)
{
	struct config cfg;

	(void)state;
	config_parse(NULL, &cfg, record_report, NULL);
	assert_int_equal(cfg.linger_ms, 1000);
}

static void test_booleans(void **state)
{
	struct config cfg;

	(void)state;
	parse1("SOCKSHIM_REUSEADDR=1", &cfg);
	assert_true(cfg.reuseaddr);
	assert_int_equal(rep.count, 0);
	parse1("SOCKSHIM_REUSEADDR=0", &cfg);
	assert_false(cfg.reuseaddr);
	parse1("SOCKSHIM_REUSEPORT=1", &cfg);
	assert_true(cfg.reuseport);
	parse1("SOCKSHIM_BACKTRACE=0", &cfg);
	assert_false(cfg.backtrace);
	assert_int_equal(rep.count, 0);

	static const char *bad[] = {"yes", "true", "2", "", " 1", "1 ", "01", "-1", NULL};
	for (int i = 0; bad[i]; i++) {
		char entry[64];

		snprintf(entry, sizeof entry, "SOCKSHIM_REUSEPORT=%s", bad[i]);
		parse1(entry, &cfg);
		assert_false(cfg.reuseport); /* the default */
		assert_int_equal(rep.count, 1);
		assert_string_equal(rep.name, "SOCKSHIM_REUSEPORT");
		assert_string_equal(rep.value, bad[i]);
	}
	parse1("SOCKSHIM_BACKTRACE=off", &cfg);
	assert_true(cfg.backtrace);
	assert_int_equal(rep.count, 1);
}

static void test_graceful(void **state)
{
	struct config cfg;

	(void)state;
	parse1("SOCKSHIM_GRACEFUL=1", &cfg);
	assert_int_equal(cfg.graceful, GRACEFUL_ON);
	parse1("SOCKSHIM_GRACEFUL=always", &cfg);
	assert_int_equal(cfg.graceful, GRACEFUL_ALWAYS);
	parse1("SOCKSHIM_GRACEFUL=0", &cfg);
	assert_int_equal(cfg.graceful, GRACEFUL_OFF);
	assert_int_equal(rep.count, 0);
	parse1("SOCKSHIM_GRACEFUL=ALWAYS", &cfg);
	assert_int_equal(cfg.graceful, GRACEFUL_OFF);
	assert_int_equal(rep.count, 1);
	assert_string_equal(rep.reason, "expected 0, 1 or always");
}

static void test_linger_ms(void **state)
{
	struct config cfg;

	(void)state;
	parse1("SOCKSHIM_LINGER_MS=250", &cfg);
	assert_int_equal(cfg.linger_ms, 250);
	parse1("SOCKSHIM_LINGER_MS=0", &cfg);
	assert_int_equal(cfg.linger_ms, 0);
	parse1("SOCKSHIM_LINGER_MS=3600000", &cfg);
	assert_int_equal(cfg.linger_ms, 3600000);
	assert_int_equal(rep.count, 0);

	static const char *bad[] = {"",     "-5",         "abc", "1e3", "10ms", "3600001",
				    " 10",  "99999999999999999999999999", "0x10", NULL};
	for (int i = 0; bad[i]; i++) {
		char entry[64];

		snprintf(entry, sizeof entry, "SOCKSHIM_LINGER_MS=%s", bad[i]);
		parse1(entry, &cfg);
		assert_int_equal(cfg.linger_ms, 1000);
		assert_int_equal(rep.count, 1);
		assert_string_equal(rep.name, "SOCKSHIM_LINGER_MS");
	}
}

static void test_linger_mode(void **state)
{
	struct config cfg;

	(void)state;
	parse1("SOCKSHIM_LINGER_MODE=sync", &cfg);
	assert_int_equal(cfg.linger_mode, LINGER_SYNC);
	parse1("SOCKSHIM_LINGER_MODE=async", &cfg);
	assert_int_equal(cfg.linger_mode, LINGER_ASYNC);
	assert_int_equal(rep.count, 0);
	parse1("SOCKSHIM_LINGER_MODE=later", &cfg);
	assert_int_equal(cfg.linger_mode, LINGER_ASYNC);
	assert_int_equal(rep.count, 1);
}

static void test_log(void **state)
{
	struct config cfg;
	char long_path[8192];

	(void)state;
	parse1("SOCKSHIM_LOG=stderr", &cfg);
	assert_int_equal(cfg.log_dest, LOG_STDERR);
	parse1("SOCKSHIM_LOG=syslog", &cfg);
	assert_int_equal(cfg.log_dest, LOG_SYSLOG);
	parse1("SOCKSHIM_LOG=journald", &cfg);
	assert_int_equal(cfg.log_dest, LOG_JOURNALD);
	assert_int_equal(rep.count, 0);
	parse1("SOCKSHIM_LOG=/var/log/app.%p.jsonl", &cfg);
	assert_int_equal(cfg.log_dest, LOG_FILE);
	assert_string_equal(cfg.log_path, "/var/log/app.%p.jsonl");
	assert_int_equal(rep.count, 0);
	parse1("SOCKSHIM_LOG=", &cfg);
	assert_int_equal(cfg.log_dest, LOG_STDERR);
	assert_int_equal(rep.count, 1);

	strcpy(long_path, "SOCKSHIM_LOG=/");
	memset(long_path + 14, 'a', 5000);
	long_path[5014] = '\0';
	parse1(long_path, &cfg);
	assert_int_equal(cfg.log_dest, LOG_STDERR);
	assert_int_equal(rep.count, 1);
	assert_string_equal(rep.reason, "path too long");
}

static void test_events(void **state)
{
	struct config cfg;

	(void)state;
	parse1("SOCKSHIM_EVENTS=none", &cfg);
	assert_int_equal(cfg.events, EVENTS_NONE);
	parse1("SOCKSHIM_EVENTS=all", &cfg);
	assert_int_equal(cfg.events, EVENTS_ALL);
	parse1("SOCKSHIM_EVENTS=errors", &cfg);
	assert_int_equal(cfg.events, EVENTS_ERRORS);
	assert_int_equal(rep.count, 0);
	parse1("SOCKSHIM_EVENTS=everything", &cfg);
	assert_int_equal(cfg.events, EVENTS_ERRORS);
	assert_int_equal(rep.count, 1);
}

static void test_depth(void **state)
{
	struct config cfg;

	(void)state;
	parse1("SOCKSHIM_BACKTRACE_DEPTH=1", &cfg);
	assert_int_equal(cfg.backtrace_depth, 1);
	parse1("SOCKSHIM_BACKTRACE_DEPTH=64", &cfg);
	assert_int_equal(cfg.backtrace_depth, 64);
	assert_int_equal(rep.count, 0);
	parse1("SOCKSHIM_BACKTRACE_DEPTH=0", &cfg);
	assert_int_equal(cfg.backtrace_depth, 16);
	assert_int_equal(rep.count, 1);
	parse1("SOCKSHIM_BACKTRACE_DEPTH=65", &cfg);
	assert_int_equal(cfg.backtrace_depth, 16);
	assert_int_equal(rep.count, 1);
}

static void test_raw(void **state)
{
	struct config cfg;

	(void)state;
	parse1("SOCKSHIM_RAW=seccomp", &cfg);
	assert_int_equal(cfg.raw, RAW_SECCOMP);
	parse1("SOCKSHIM_RAW=off", &cfg);
	assert_int_equal(cfg.raw, RAW_OFF);
	assert_int_equal(rep.count, 0);
	parse1("SOCKSHIM_RAW=ptrace", &cfg);
	assert_int_equal(cfg.raw, RAW_OFF);
	assert_int_equal(rep.count, 1);
}

static void test_typos(void **state)
{
	struct config cfg;

	(void)state;
	parse1("SOCKSHIM_GRACEFULL=1", &cfg);
	assert_int_equal(rep.count, 1);
	assert_string_equal(rep.name, "SOCKSHIM_GRACEFULL");
	assert_false(rep.has_value);
	assert_string_equal(rep.reason, "unknown variable");
	assert_int_equal(cfg.graceful, GRACEFUL_OFF);

	parse1("SOCKSHIM_reuseaddr=1", &cfg); /* names are case-sensitive */
	assert_int_equal(rep.count, 1);
	assert_false(cfg.reuseaddr);

	parse1("SOCKSHIM_=1", &cfg);
	assert_int_equal(rep.count, 1);
}

static void test_many_at_once(void **state)
{
	struct config cfg;
	char *envp[] = {"SOCKSHIM_REUSEADDR=1", "SOCKSHIM_GRACEFUL=always",
			"SOCKSHIM_LINGER_MS=x",	 "SOCKSHIM_EVENTS=all",
			"SOCKSHIM_TYPO=1",	 "OTHER=1",
			NULL};

	(void)state;
	memset(&rep, 0, sizeof rep);
	config_parse(envp, &cfg, record_report, NULL);
	assert_int_equal(rep.count, 2);
	assert_true(cfg.reuseaddr);
	assert_int_equal(cfg.graceful, GRACEFUL_ALWAYS);
	assert_int_equal(cfg.linger_ms, 1000);
	assert_int_equal(cfg.events, EVENTS_ALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),   cmocka_unit_test(test_null_env),
		cmocka_unit_test(test_booleans),   cmocka_unit_test(test_graceful),
		cmocka_unit_test(test_linger_ms),  cmocka_unit_test(test_linger_mode),
		cmocka_unit_test(test_log),	   cmocka_unit_test(test_events),
		cmocka_unit_test(test_depth),	   cmocka_unit_test(test_raw),
		cmocka_unit_test(test_typos),	   cmocka_unit_test(test_many_at_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
