/* libFuzzer target: the unwinder's CFI reader (unwind_rule_from_fde) on
 * arbitrary bytes.  Input: 4 bytes of the FDE's offset in the section, 4
 * bytes of the address asked (relative to the section's start: pc-relative
 * encodings count from where the bytes lie), then the section.  Every read
 * must stay inside the section (AddressSanitizer sees the copy's bounds);
 * a rule it gives must be one the unwinder can use. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unwind.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t fde_off, pc_off;
	uint8_t *sec;
	size_t n;
	struct unwind_rule r;

	if (size < 8)
		return 0;
	memcpy(&fde_off, data, 4);
	memcpy(&pc_off, data + 4, 4);
	n = size - 8;
	sec = malloc(n ? n : 1); /* exactly the section: overreads are caught */
	memcpy(sec, data + 8, n);
	r = unwind_rule_from_fde(sec + (n ? fde_off % n : 0), sec, sec + n,
				 (uintptr_t)sec + pc_off);
	if (r.kind == UNWIND_STEP) {
		if (r.cfa_base != UNWIND_CFA_SP && r.cfa_base != UNWIND_CFA_BP &&
		    r.cfa_base != UNWIND_CFA_BP_DEREF)
			abort();
		if (r.ra_off > -8 || (r.bp_saved && !r.bp_at_bp && r.bp_off > -8) ||
		    (r.bp_at_bp && !r.bp_saved))
			abort();
	} else if (r.kind != UNWIND_FAIL && r.kind != UNWIND_END && r.kind != UNWIND_SIGNAL) {
		abort();
	}
	free(sec);
	return 0;
}
