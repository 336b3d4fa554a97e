/* sockshim-report: what its modules share. */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>

#include "sockshim.h"

#define PROG "sockshim-report"

/* Exit statuses, as --help tells them. */
#define EXIT_RECORDS 0
#define EXIT_NO_RECORDS 1
#define EXIT_USAGE 2

/* A record is at most SHIM_RECORD_MAX bytes; a collector's line adds a
 * header, a journald entry the record twice, escaped.  Lines far longer
 * are not records, and are skipped without being kept whole: a binary file
 * without newlines must not be read into memory. */
#define LINE_CAP (16 * SHIM_RECORD_MAX)

/* Allocation that cannot fail: a report with silently missing counts
 * would be worse than none. */
void __attribute__((noreturn)) die_oom(void);

/* jansson values that must exist: v itself (a NULL from jansson is out of
 * memory), and obj[key] = v. */
struct json_t;
struct json_t *jcheck(struct json_t *v);
void jset(struct json_t *obj, const char *key, struct json_t *v);
void *xrealloc(void *p, size_t n);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
