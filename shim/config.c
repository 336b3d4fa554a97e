/* Configuration parser.  Runs in the library's constructor (or on the first
 * interposed call, if that comes earlier), so it must not allocate: it reads
 * environ directly and writes into a caller-owned struct. */
#include "config.h"

#include <string.h>

#include "sockshim.h"

struct config shim_cfg;

void config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->reuseaddr = false;
	cfg->reuseport = false;
	cfg->graceful = GRACEFUL_OFF;
	cfg->linger_ms = CONFIG_LINGER_MS_DEFAULT;
	cfg->linger_mode = LINGER_ASYNC;
	cfg->log_dest = LOG_STDERR;
	cfg->events = EVENTS_ERRORS;
	cfg->backtrace = true;
	cfg->backtrace_depth = CONFIG_DEPTH_DEFAULT;
	cfg->lang_frames = true;
	cfg->raw = RAW_OFF;
	cfg->rate_n = CONFIG_RATE_N_DEFAULT;
	cfg->rate_window_s = CONFIG_RATE_WINDOW_DEFAULT;
}

/* One keyword of an enumerated variable and the value it stands for. */
struct keyword {
	const char *word;
	int value;
};

static const struct keyword bool_words[] = {{"0", 0}, {"1", 1}, {NULL, 0}};
static const struct keyword graceful_words[] = {
	{"0", GRACEFUL_OFF}, {"1", GRACEFUL_ON}, {"always", GRACEFUL_ALWAYS}, {NULL, 0}};
static const struct keyword mode_words[] = {
	{"async", LINGER_ASYNC}, {"sync", LINGER_SYNC}, {NULL, 0}};
static const struct keyword event_words[] = {
	{"none", EVENTS_NONE}, {"errors", EVENTS_ERRORS}, {"all", EVENTS_ALL}, {NULL, 0}};
static const struct keyword raw_words[] = {
	{"off", RAW_OFF}, {"seccomp", RAW_SECCOMP}, {NULL, 0}};

/* Returns false when value is none of the words. */
static bool parse_keyword(const struct keyword *words, const char *value, int *out)
{
	for (; words->word; words++) {
		if (strcmp(words->word, value) == 0) {
			*out = words->value;
			return true;
		}
	}
	return false;
}

/* A decimal integer in [min, max], nothing else (no sign, no spaces, no
 * suffix): "1000" yes, "1e3", " 5", "-1", "" no. */
static bool parse_int(const char *value, int min, int max, int *out)
{
	long long n = 0;
	const char *p = value;

	if (*p == '\0')
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		n = n * 10 + (*p - '0');
		if (n > max)
			return false;
	}
	if (n < min)
		return false;
	*out = (int)n;
	return true;
}

/* SOCKSHIM_RATE: "N/SECONDS" (N records per call site and event in each
 * window of SECONDS), or "0" for no limit. */
static bool parse_rate(const char *value, int *n, int *window)
{
	char num[16];
	const char *slash = strchr(value, '/');
	size_t len;

	if (strcmp(value, "0") == 0) {
		*n = 0;
		*window = CONFIG_RATE_WINDOW_DEFAULT;
		return true;
	}
	if (!slash || (len = (size_t)(slash - value)) >= sizeof num)
		return false;
	memcpy(num, value, len);
	num[len] = '\0';
	return parse_int(num, 1, CONFIG_RATE_N_MAX, n) &&
	       parse_int(slash + 1, 1, CONFIG_RATE_WINDOW_MAX, window);
}

struct parse_ctx {
	struct config *cfg;
	config_report_fn *report;
	void *report_ctx;
};

static void report(const struct parse_ctx *pc, const char *name, const char *value,
		   const char *reason)
{
	if (pc->report)
		pc->report(pc->report_ctx, name, value, reason);
}

static void set_bool(const struct parse_ctx *pc, const char *name, const char *value,
		     bool *field)
{
	int v;

	if (parse_keyword(bool_words, value, &v))
		*field = v != 0;
	else
		report(pc, name, value, "expected 0 or 1");
}

static void set_keyword(const struct parse_ctx *pc, const char *name, const char *value,
			const struct keyword *words, const char *expected, int *field)
{
	int v;

	if (parse_keyword(words, value, &v))
		*field = v;
	else
		report(pc, name, value, expected);
}

static void set_log(const struct parse_ctx *pc, const char *value)
{
	struct config *cfg = pc->cfg;
	size_t len = strlen(value);

	if (strcmp(value, SHIM_LOG_STDERR) == 0) {
		cfg->log_dest = LOG_STDERR;
	} else if (strcmp(value, SHIM_LOG_SYSLOG) == 0) {
		cfg->log_dest = LOG_SYSLOG;
	} else if (strcmp(value, SHIM_LOG_JOURNALD) == 0) {
		cfg->log_dest = LOG_JOURNALD;
	} else if (len == 0) {
		report(pc, SHIM_ENV_LOG, value, "expected stderr, syslog, journald or a file path");
	} else if (len >= sizeof cfg->log_path - 16) {
		/* Room is kept for the pid that replaces %p. */
		report(pc, SHIM_ENV_LOG, value, "path too long");
	} else {
		cfg->log_dest = LOG_FILE;
		memcpy(cfg->log_path, value, len + 1);
	}
}

/* One entry of the environment, NAME=value, NAME starting with the prefix. */
static void parse_entry(const struct parse_ctx *pc, const char *name, size_t name_len,
			const char *value)
{
	struct config *cfg = pc->cfg;
	int v;

#define IS(var) (name_len == sizeof(var) - 1 && memcmp(name, var, name_len) == 0)
	if (IS(SHIM_ENV_REUSEADDR)) {
		set_bool(pc, SHIM_ENV_REUSEADDR, value, &cfg->reuseaddr);
	} else if (IS(SHIM_ENV_REUSEPORT)) {
		set_bool(pc, SHIM_ENV_REUSEPORT, value, &cfg->reuseport);
	} else if (IS(SHIM_ENV_GRACEFUL)) {
		v = (int)cfg->graceful;
		set_keyword(pc, SHIM_ENV_GRACEFUL, value, graceful_words,
			    "expected 0, 1 or always", &v);
		cfg->graceful = (enum graceful_mode)v;
	} else if (IS(SHIM_ENV_LINGER_MS)) {
		if (!parse_int(value, 0, CONFIG_LINGER_MS_MAX, &cfg->linger_ms))
			report(pc, SHIM_ENV_LINGER_MS, value,
			       "expected milliseconds, 0 to 3600000");
	} else if (IS(SHIM_ENV_LINGER_MODE)) {
		v = (int)cfg->linger_mode;
		set_keyword(pc, SHIM_ENV_LINGER_MODE, value, mode_words,
			    "expected async or sync", &v);
		cfg->linger_mode = (enum linger_mode)v;
	} else if (IS(SHIM_ENV_LOG)) {
		set_log(pc, value);
	} else if (IS(SHIM_ENV_EVENTS)) {
		v = (int)cfg->events;
		set_keyword(pc, SHIM_ENV_EVENTS, value, event_words,
			    "expected none, errors or all", &v);
		cfg->events = (enum event_level)v;
	} else if (IS(SHIM_ENV_BACKTRACE)) {
		set_bool(pc, SHIM_ENV_BACKTRACE, value, &cfg->backtrace);
	} else if (IS(SHIM_ENV_BACKTRACE_DEPTH)) {
		if (!parse_int(value, 1, CONFIG_DEPTH_MAX, &cfg->backtrace_depth))
			report(pc, SHIM_ENV_BACKTRACE_DEPTH, value, "expected 1 to 64");
	} else if (IS(SHIM_ENV_LANG_FRAMES)) {
		set_bool(pc, SHIM_ENV_LANG_FRAMES, value, &cfg->lang_frames);
	} else if (IS(SHIM_ENV_RAW)) {
		v = (int)cfg->raw;
		set_keyword(pc, SHIM_ENV_RAW, value, raw_words, "expected off or seccomp",
			    &v);
		cfg->raw = (enum raw_mode)v;
	} else if (IS(SHIM_ENV_RATE)) {
		int n, w;

		if (parse_rate(value, &n, &w)) {
			cfg->rate_n = n;
			cfg->rate_window_s = w;
		} else {
			report(pc, SHIM_ENV_RATE, value,
			       "expected N/SECONDS (1 to 1000000 records per 1 to 86400 s) or 0");
		}
	} else if (IS(SHIM_ENV_LIBRARY)) {
		/* the launcher's (which library to preload): nothing here */
	} else {
		/* A misspelt name (GRACEFULL for GRACEFUL) would otherwise be silently
		 * ignored and the operator would believe the feature is on. */
		report(pc, name, NULL, "unknown variable");
	}
#undef IS
}

void config_parse(char *const *envp, struct config *cfg, config_report_fn *report_fn,
		  void *ctx)
{
	const struct parse_ctx pc = {cfg, report_fn, ctx};
	const size_t prefix_len = sizeof(SHIM_ENV_PREFIX) - 1;

	config_defaults(cfg);
	if (!envp)
		return;
	for (; *envp; envp++) {
		const char *entry = *envp;
		const char *eq;

		if (strncmp(entry, SHIM_ENV_PREFIX, prefix_len) != 0)
			continue;
		eq = strchr(entry, '=');
		if (!eq)
			continue;
		/* Every known name is short; a longer one is a typo and is
		 * reported cut to the buffer. */
		char name[128];
		size_t len = (size_t)(eq - entry);

		if (len >= sizeof name)
			len = sizeof name - 1;
		memcpy(name, entry, len);
		name[len] = '\0';
		parse_entry(&pc, name, len, eq + 1);
	}
	cfg->sockets_watched = cfg->events >= EVENTS_ERRORS || cfg->graceful != GRACEFUL_OFF;
	cfg->closes_untracked = cfg->events == EVENTS_NONE && cfg->graceful == GRACEFUL_OFF &&
				!cfg->reuseaddr && !cfg->reuseport;
}
