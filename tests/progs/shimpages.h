/* Which pages of the preloaded shim's memory this process holds alone:
 * a page it wrote since a fork is its own copy (or one its parent never
 * had), which /proc/self/pagemap says "exclusively mapped"; a page it only
 * read is still shared with the other process.  For tests/progs that count
 * what a close or a fork writes. */
#ifndef SHIM_TEST_SHIMPAGES_H
#define SHIM_TEST_SHIMPAGES_H

#include "progs.h"

#include <stdint.h>

#define SHIMPAGES_PAGE 4096UL
#define SHIMPAGES_EXCLUSIVE (1ULL << 56)

/* The shim's load address: its mapping of the file's start (0: none). */
static inline uintptr_t shim_base(void)
{
	char line[4096];
	uintptr_t base = 0;
	FILE *maps = fopen("/proc/self/maps", "r");

	if (!maps)
		die("/proc/self/maps");
	while (!base && fgets(line, sizeof line, maps)) {
		unsigned long a, off;

		if (strstr(line, "/libsockshim.so") &&
		    sscanf(line, "%lx-%*x %*s %lx", &a, &off) == 2 && off == 0)
			base = a;
	}
	fclose(maps);
	return base;
}

/* How many pages of the n ranges ("OFFSET:SIZE" in hex from the shim's
 * load address, as nm prints a symbol of libsockshim.so) this process
 * holds alone; pm: /proc/self/pagemap, open. */
static inline long exclusive_pages(int pm, uintptr_t base, int n, char **ranges)
{
	long pages = 0;

	for (int i = 0; i < n; i++) {
		unsigned long off, size;

		if (sscanf(ranges[i], "%lx:%lx", &off, &size) != 2)
			exit(2);
		for (uintptr_t p = (base + off) & ~(SHIMPAGES_PAGE - 1); p < base + off + size;
		     p += SHIMPAGES_PAGE) {
			uint64_t e;

			if (pread(pm, &e, sizeof e, (off_t)(p / SHIMPAGES_PAGE * sizeof e)) !=
			    (ssize_t)sizeof e)
				die("pagemap");
			if ((e >> 63) && (e & SHIMPAGES_EXCLUSIVE))
				pages++;
		}
	}
	return pages;
}

#endif
