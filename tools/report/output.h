/* The report: one JSON document built from the counts (report_build),
 * printed as it is (--json) or as text for people (report_print_text),
 * so that the two cannot say different things. */
#ifndef REPORT_OUTPUT_H
#define REPORT_OUTPUT_H

#include <jansson.h>
#include <stddef.h>

#include "filter.h"
#include "read.h"

json_t *report_build(const struct reading *r, char *const *inputs, size_t ninputs, size_t top,
		     const struct filter *f);
void report_print_text(json_t *doc);

#endif
