/* libFuzzer target: the supervisor's reader of Go's .gopclntab
 * (supervisor/gopcln.c) on arbitrary bytes.  Input: 4 bytes of an address
 * (offset from the text start 0x1000), then the section.  Every read must
 * stay inside the section (AddressSanitizer sees the copy's bounds); a
 * name it gives ends inside it, at an entry at or below the address; the
 * function found for an address, and its pcsp table's stack delta there
 * (the unwinding of Go frames), read only the section too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supervisor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sv_gopcln t;
	uint32_t off;
	uint8_t *sec;
	size_t n;

	if (size < 4)
		return 0;
	memcpy(&off, data, 4);
	n = size - 4;
	sec = malloc(n ? n : 1); /* exactly the section: overreads are caught */
	memcpy(sec, data + 4, n);
	if (sv_gopcln_open(&t, sec, n, 0x1000)) {
		uint64_t addrs[3] = {t.text + off, t.text, t.text + (off & 0xff)};

		for (int i = 0; i < 3; i++) {
			uint64_t start = 0;
			const char *name = sv_gopcln_name(&t, addrs[i], &start);

			if (name && ((const uint8_t *)name < sec || (const uint8_t *)name >= sec + n ||
				     !memchr(name, '\0', n - (size_t)((const uint8_t *)name - sec)) ||
				     start > addrs[i]))
				abort();
			{
				struct sv_gofunc f;
				int32_t delta;

				if (sv_gopcln_func(&t, addrs[i], &f)) {
					if (f.entry > addrs[i] ||
					    (f.name && ((const uint8_t *)f.name < sec ||
							(const uint8_t *)f.name >= sec + n)))
						abort();
					(void)sv_gopcln_spdelta(&t, &f, addrs[i], &delta);
				}
			}
		}
	}
	free(sec);
	return 0;
}
