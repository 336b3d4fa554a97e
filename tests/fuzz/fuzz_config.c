/* libFuzzer harness for the configuration parser: the input is an
 * environment, entries separated by newlines.  The parser must never crash,
 * read out of bounds or produce a value outside its documented range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static int reports;

static void count_report(void *ctx, const char *name, const char *value, const char *reason)
{
	(void)ctx;
	if (!name || !reason || strlen(name) >= 128)
		abort();
	(void)value;
	reports++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *envp[256], *p, *save = NULL;
	struct config cfg;
	int n = 0;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (p = strtok_r(text, "\n", &save); p && n < 255; p = strtok_r(NULL, "\n", &save))
		envp[n++] = p;
	envp[n] = NULL;
	reports = 0;
	config_parse(envp, &cfg, count_report, NULL);
	if (cfg.linger_ms < 0 || cfg.linger_ms > CONFIG_LINGER_MS_MAX)
		abort();
	if (cfg.backtrace_depth < 1 || cfg.backtrace_depth > CONFIG_DEPTH_MAX)
		abort();
	if (cfg.log_dest == LOG_FILE && (cfg.log_path[0] == '\0' ||
					 strnlen(cfg.log_path, sizeof cfg.log_path) == sizeof cfg.log_path))
		abort();
	if ((unsigned)cfg.graceful > GRACEFUL_ALWAYS || (unsigned)cfg.events > EVENTS_ALL ||
	    (unsigned)cfg.linger_mode > LINGER_SYNC || (unsigned)cfg.raw > RAW_SECCOMP)
		abort();
	free(text);
	return 0;
}
