/* libFuzzer harness for the framing of records (logframe.c): the input is
 * taken as a record's text, in a buffer of exactly its size (so that a read
 * past it is caught).  The scanner's spans stay inside it; the journald
 * datagram stays within its bounds and parses as journald parses it; and
 * where jansson reads the input as an object, the scanner finds its
 * top-level "event" string with the same value. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logframe.h"

static void check_span(const char *buf, size_t size, const struct logframe_span *v)
{
	if (v->p < buf || v->p + v->n > buf + size)
		abort();
}

/* journald's parser, reduced to what must hold: KEY=value lines, or KEY,
 * newline, 64-bit little-endian length, value, newline. */
static void check_datagram(const char *d, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(d + i, '\n', len - i);
		size_t line;

		if (!nl)
			abort();
		line = (size_t)(nl - (d + i));
		if (memchr(d + i, '=', line)) {
			i += line + 1;
		} else {
			uint64_t vl = 0;

			i += line + 1;
			if (i + 8 > len)
				abort();
			for (int k = 7; k >= 0; k--)
				vl = vl << 8 | (unsigned char)d[i + (size_t)k];
			i += 8;
			if (vl > len - i || i + vl >= len || d[i + vl] != '\n')
				abort();
			i += vl + 1;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct logframe_journal m;
	static char datagram[3 * 65536], out[1024];
	static const char *keys[] = {"event", "peer", "backtrace", "site", "errno", "x"};
	char *buf = malloc(size ? size : 1);
	struct logframe_span v;
	size_t n = 0;
	json_t *j;

	memcpy(buf, data, size);
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
		if (logframe_json_get(buf, size, keys[k], &v)) {
			check_span(buf, size, &v);
			if (v.string && logframe_json_unescape(v.p, v.n, out, sizeof out) > sizeof out)
				abort();
		}
	if (logframe_json_first_symbol(buf, size, &v))
		check_span(buf, size, &v);

	logframe_journal_record(&m, buf, size, 4);
	if (m.n_iov > LOGFRAME_JOURNAL_IOV || m.used > LOGFRAME_JOURNAL_BYTES)
		abort();
	for (int i = 0; i < m.n_iov; i++) {
		if (n + m.iov[i].iov_len > sizeof datagram)
			abort();
		memcpy(datagram + n, m.iov[i].iov_base, m.iov[i].iov_len);
		n += m.iov[i].iov_len;
	}
	if (n < 8 || memcmp(datagram, "MESSAGE", 7) != 0)
		abort();
	check_datagram(datagram, n);

	/* the scanner against a JSON parser, on what both read as an object */
	j = json_loadb(buf, size, JSON_REJECT_DUPLICATES | JSON_DISABLE_EOF_CHECK, NULL);
	if (json_is_object(j) && json_is_string(json_object_get(j, "event"))) {
		const char *want = json_string_value(json_object_get(j, "event"));
		size_t wn = json_string_length(json_object_get(j, "event"));

		if (!logframe_json_get(buf, size, "event", &v) || !v.string)
			abort();
		if (wn < sizeof out &&
		    (logframe_json_unescape(v.p, v.n, out, sizeof out) != wn || memcmp(out, want, wn) != 0))
			abort();
	}
	json_decref(j);
	free(buf);
	return 0;
}
