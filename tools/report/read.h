/* Reading the inputs on every core: a plain file is cut into ranges of
 * lines that threads read at once; a gzip file (zlib), standard input or
 * a pipe is read whole by one thread.  Each thread counts into a tally of
 * its own; they are merged at the end. */
#ifndef REPORT_READ_H
#define REPORT_READ_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"

struct reading {
	struct tally tally;	/* everything, merged */
	char *first_bad;	/* "FILE:LINE" of the first line that is not a record */
	char **warnings;	/* inputs read in part (a cut gzip file) */
	size_t nwarnings;
	int threads;		/* threads that read */
};

/* Bytes of a plain file a thread reads at once; a file smaller than this
 * is read by one thread.  Tests set it small (read_unit_bytes). */
extern uint64_t read_unit_bytes;

/* Reads the NAMES ("-" is standard input) with at most THREADS threads
 * (0: one per core) into R, counting what F lets through.  Returns 0; -1,
 * told on stderr, if an input could not be read (R is freed then). */
int read_inputs(char *const *names, size_t n, int threads, const struct filter *f, struct reading *r);
void reading_free(struct reading *r);

/* The number of cores this process may run on. */
int cores(void);

#endif
