/* libFuzzer harness for the record writer: the input drives a sequence of
 * appends (strings of arbitrary bytes, numbers, containers, marks and
 * rollbacks) into a buffer whose size also comes from the input, used the
 * way the shim uses the writer (keys inside objects, none inside arrays;
 * keys of every length the key copy treats apart; members formatted by
 * another record and appended whole).  Every finished record must fit
 * its buffer, be one line, parse as a JSON object (jansson), and hold no
 * key but the ones written. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

/* one of every length from 0 to 18, and 21 */
static const char *const keys[] = {
	"", "k", "fd", "pid", "prog", "event", "family", "errno_x", "ts_12345", "backtrace",
	"unread_xyz", "reason_abcd", "drained_abcd", "first_backtra", "first_backtrac", "first_backtrace",
	"suppressed_event", "suppressed_events", "suppressed_events_", "a_key_of_twenty_one__", "m",
};
#define N_KEYS (sizeof keys / sizeof keys[0] - 1) /* ("m" is the members' own) */

static bool known_key(const char *k)
{
	/* the ones the writer adds: a frame's, and rec_end's */
	static const char *const writer_keys[] = {"ip", "module", "offset", "symbol", "truncated"};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!strcmp(k, keys[i]))
			return true;
	for (size_t i = 0; i < sizeof writer_keys / sizeof writer_keys[0]; i++)
		if (!strcmp(k, writer_keys[i]))
			return true;
	return false;
}

/* Every key of every object in v is one that was written. */
static bool keys_known(json_t *v)
{
	const char *k;
	json_t *e;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, e)
			if (!known_key(k) || !keys_known(e))
				return false;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (!keys_known(e))
				return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[8192];
	struct record r;
	struct rec_mark m;
	/* what is open: 'o' object (the record itself at the bottom), 'a' array */
	char stack[64] = "o", saved[64];
	int depth = 1, saved_depth = 0;
	size_t cap, i = 1, len;
	json_t *j;

	if (size < 1)
		return 0;
	cap = 64 + (size_t)data[0] * 31; /* 64 .. 7969 */
	rec_begin(&r, buf, cap);
	while (i < size) {
		uint8_t op = data[i++];
		size_t n = i < size ? data[i++] % 64 : 0;
		const char *key = stack[depth - 1] == 'o' ? keys[op / 8 % N_KEYS] : NULL;

		if (n > size - i)
			n = size - i;
		switch (op % 8) {
		case 0: rec_strn(&r, key, (const char *)data + i, n); i += n; break;
		case 1: rec_int(&r, key, (long long)op * 1000003 - 7 * (long long)n); break;
		case 2: rec_hex(&r, key, (uint64_t)op << 40 | n); break;
		case 3:
			if (!key && (n & 2)) { /* a backtrace frame, strings from the input */
				const char *str = (const char *)data + i;
				struct rec_frame f = {
					.ip = (uint64_t)op << 44 | n, .offset = n, .symbol_off = op,
					.module = n & 4 ? str : NULL, .module_len = n / 2,
					.symbol = n & 8 ? str + n / 2 : NULL, .symbol_len = n - n / 2,
				};

				f.module_plain = rec_plain(str, f.module_len);
				f.symbol_plain = rec_plain(str + n / 2, f.symbol_len);
				rec_frame(&r, &f);
				i += n;
			} else if (key && (n & 4)) { /* members made elsewhere */
				static char mbuf[512];
				struct record t;

				rec_begin(&t, mbuf, sizeof mbuf);
				rec_strn(&t, "m", (const char *)data + i, n);
				rec_int(&t, key, op);
				if (!t.full)
					rec_members(&r, mbuf + 1, t.len - 1);
				i += n;
			} else {
				rec_bool(&r, key, n & 1);
			}
			break;
		case 4:
		case 5:
			if (depth < (int)sizeof stack - 1) {
				if (op % 8 == 4)
					rec_array_begin(&r, key);
				else
					rec_object_begin(&r, key);
				stack[depth++] = op % 8 == 4 ? 'a' : 'o';
			}
			break;
		case 6:
			if (depth > 1) {
				if (stack[depth - 1] == 'a')
					rec_array_end(&r);
				else
					rec_object_end(&r);
				depth--;
			}
			break;
		case 7:
			if (n & 1 && saved_depth) {
				rec_rollback(&r, &m);
				memcpy(stack, saved, sizeof stack);
				depth = saved_depth;
			} else {
				rec_mark(&r, &m);
				memcpy(saved, stack, sizeof stack);
				saved_depth = depth;
			}
			break;
		}
	}
	while (depth > 1) {
		if (stack[--depth] == 'a')
			rec_array_end(&r);
		else
			rec_object_end(&r);
	}
	len = rec_end(&r);
	if (len > cap || buf[len - 1] != '\n' || memchr(buf, '\n', len - 1))
		abort();
	j = json_loadb(buf, len, JSON_ALLOW_NUL, NULL);
	if (!j || !json_is_object(j) || !keys_known(j))
		abort();
	json_decref(j);
	return 0;
}
