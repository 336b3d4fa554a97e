/* JIT frames from perf map files (see perfmap.h).
 *
 * A map is a text file of "START SIZE NAME" lines (hexadecimal, with or
 * without 0x), appended to as code is compiled: a later line for the same
 * address wins, so entries are sorted by start and, among equal starts,
 * the last line read is kept.  Each process's map is read once. */
#define _GNU_SOURCE
#include "perfmap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct entry {
	uint64_t start, size;
	size_t line; /* order in the file */
	char *name;
};

struct map {
	long pid;
	struct entry *e;
	size_t n;
};

static const char *dir = "/tmp";
static struct map *maps;
static size_t nmaps;

void perfmap_dir(const char *d)
{
	dir = d;
}

static int by_start(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->line < y->line ? -1 : x->line > y->line;
}

static void load(struct map *m)
{
	char path[4096], *line = NULL;
	size_t cap = 0, alloc = 0, k = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/perf-%ld.map", dir, m->pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *p = line, *end;
		uint64_t start = strtoull(p, &end, 16), size;

		if (end == p || *end != ' ')
			continue;
		p = end + 1;
		size = strtoull(p, &end, 16);
		if (end == p || *end != ' ' || size == 0)
			continue;
		p = end + 1;
		p[strcspn(p, "\n")] = '\0';
		if (m->n == alloc) {
			alloc = alloc ? 2 * alloc : 256;
			m->e = realloc(m->e, alloc * sizeof *m->e);
			if (!m->e)
				die_oom();
		}
		m->e[m->n++] = (struct entry){start, size, k++, xstrdup(p)};
	}
	free(line);
	fclose(f);
	qsort(m->e, m->n, sizeof *m->e, by_start);
}

static struct map *map_of(long pid)
{
	struct map *m;

	for (size_t i = 0; i < nmaps; i++)
		if (maps[i].pid == pid)
			return &maps[i];
	maps = realloc(maps, (nmaps + 1) * sizeof *maps);
	if (!maps)
		die_oom();
	m = &maps[nmaps++];
	*m = (struct map){pid, NULL, 0};
	load(m);
	return m;
}

const char *perfmap_name(long pid, uint64_t ip, uint64_t *start)
{
	struct map *m;
	size_t lo = 0, hi;

	if (pid <= 0)
		return NULL;
	m = map_of(pid);
	hi = m->n;
	/* the last entry that starts at or below ip */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->e[mid].start <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* a later line for an overlapping range wins: look back a little */
	for (size_t i = lo; i > 0 && lo - i < 64; i--) {
		const struct entry *e = &m->e[i - 1];

		if (ip < e->start + e->size) {
			*start = e->start;
			return e->name;
		}
	}
	return NULL;
}

void perfmap_close(void)
{
	for (size_t i = 0; i < nmaps; i++) {
		for (size_t j = 0; j < maps[i].n; j++)
			free(maps[i].e[j].name);
		free(maps[i].e);
	}
	free(maps);
	maps = NULL;
	nmaps = 0;
}
