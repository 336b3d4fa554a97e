/* Allocation that cannot fail (see report.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"

void die_oom(void)
{
	fprintf(stderr, PROG ": out of memory\n");
	exit(EXIT_USAGE);
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die_oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die_oom();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *d = xrealloc(NULL, n + 1);

	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

json_t *jcheck(json_t *v)
{
	if (!v)
		die_oom();
	return v;
}

void jset(json_t *obj, const char *key, json_t *v)
{
	if (json_object_set_new(obj, key, jcheck(v)) != 0)
		die_oom();
}
