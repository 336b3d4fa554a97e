/* libFuzzer harness for the report's line parser (tools/report/input.c
 * and jscan.c) and its counting (agg.c).  The input is one line.  Two
 * properties besides not crashing:
 *   - the scanner accepts exactly what jansson's json_loadb accepts (the
 *     report's "malformed" must mean what it meant when jansson read every
 *     line), and decodes the fields it keeps to what jansson decodes;
 *   - a line the parser calls a record has a string "event". */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "input.h"
#include "jscan.h"

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_report_line: %s\n", what);
		abort();
	}
}

static const char *const names[K_N] = {
	[K_EVENT] = "event", [K_TS] = "ts", [K_HOST] = "host", [K_PROG] = "prog", [K_PID] = "pid",
	[K_ERRNO] = "errno", [K_PEER] = "peer", [K_FAMILY] = "family", [K_SITE] = "site",
	[K_COUNT] = "count", [K_SUPPRESSED_EVENT] = "suppressed_event", [K_TRUNCATED] = "truncated",
	[K_BACKTRACE] = "backtrace", [K_LANG_BACKTRACE] = "lang_backtrace", [K_DROPPED] = "dropped", [K_MESSAGE] = "MESSAGE",
	[K_SOCKSHIM_RECORD] = "SOCKSHIM_RECORD",
	[K_J_HOSTNAME] = "_HOSTNAME", [K_J_CURSOR] = "__CURSOR", [K_J_REALTIME] = "__REALTIME_TIMESTAMP",
	[K_J_SYSLOG_IDENTIFIER] = "SYSLOG_IDENTIFIER",
};

/* The scanner's view of TEXT against jansson's. */
static void compare(const char *text, size_t n)
{
	static struct jdoc d;
	static char buf[LINE_CAP + 1];
	json_error_t err;
	json_t *j = json_loadb(text, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	bool ok = js_scan(text, n, &d);

	check(ok == (j != NULL), ok ? "scanner accepts what jansson rejects" : "scanner rejects what jansson accepts");
	if (!j)
		return;
	check((d.top == JT_OBJECT) == json_is_object(j), "top-level type differs");
	if (json_is_object(j)) {
		for (int k = 0; k < K_N; k++) {
			json_t *v = json_object_get(j, names[k]);
			size_t len;
			const char *s;

			check((d.k[k].type != JT_NONE) == (v != NULL), "a key is missed or made up");
			if (!json_is_string(v)) {
				check(d.k[k].type != JT_STRING, "a string that jansson does not see");
				continue;
			}
			s = js_string(&d.k[k], buf, sizeof buf, &len);
			check(s && len == json_string_length(v) && memcmp(s, json_string_value(v), len) == 0,
			      "a string decodes differently");
		}
		if (json_is_array(json_object_get(j, "backtrace"))) {
			json_t *bt = json_object_get(j, "backtrace");

			check(d.nframes == json_array_size(bt), "backtrace frames miscounted");
		}
	}
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct line l;
	static struct tally t;
	static unsigned runs;
	char *text;

	if (size > LINE_CAP)
		return 0;
	if (runs++ % 4096 == 0) {
		if (runs > 1)
			tally_free(&t);
		tally_init(&t, NULL);
	}
	/* as the reader hands a line over: a byte below 0x20 after it */
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\n';
	compare(text, size);
	line_parse(&l, text, size);
	if (l.kind == LINE_RECORD)
		check(l.rec->k[K_EVENT].type == JT_STRING, "a record without a string event");
	tally_line(&t, &l, 0, runs);
	free(text);
	return 0;
}
