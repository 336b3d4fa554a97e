/* libFuzzer harness for the record writer: the input drives a sequence of
 * appends (strings of arbitrary bytes, numbers, containers, marks and
 * rollbacks) into a buffer whose size also comes from the input, used the
 * way the shim uses the writer (keys inside objects, none inside arrays).
 * Every finished record must fit its buffer, be one line, and parse as a
 * JSON object (jansson). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

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
		const char *key = stack[depth - 1] == 'o' ? "k" : NULL;

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
	if (!j || !json_is_object(j))
		abort();
	json_decref(j);
	return 0;
}
