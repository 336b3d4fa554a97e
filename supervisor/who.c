/* Who made a call, kept for a record written later (a lingering that
 * ends, a close whose outcome is known after it ran): copies, since the
 * process may be gone and its frames' names with it. */
#define _GNU_SOURCE
#include "supervisor.h"

#include <stdlib.h>
#include <string.h>

/* The frames' names go into one block, not a string each: a Go close's
 * 12 frames took 24 strdup and 24 free at every close the supervisor
 * looks at once it ran or lingers on (~1 us of the handler's, each). */
void sv_who_keep(struct sv_who *w, const struct event_foreign *f)
{
	size_t size = 0;
	char *at;

	w->pid = f->pid;
	w->tid = f->tid;
	strncpy(w->prog, f->prog ? f->prog : "", sizeof w->prog - 1);
	w->prog[sizeof w->prog - 1] = '\0';
	w->bt_n = f->bt_n < SV_BT_MAX ? f->bt_n : SV_BT_MAX;
	for (int k = 0; k < w->bt_n; k++)
		size += (f->bt[k].module ? strlen(f->bt[k].module) + 1 : 0) +
			(f->bt[k].symbol ? strlen(f->bt[k].symbol) + 1 : 0);
	w->names = size ? malloc(size) : NULL;
	at = w->names;
	for (int k = 0; k < w->bt_n; k++) {
		const char *name[2] = {f->bt[k].module, f->bt[k].symbol};
		const char *kept[2] = {NULL, NULL};

		w->bt[k] = f->bt[k];
		for (int j = 0; j < 2 && at; j++)
			if (name[j]) {
				size_t n = strlen(name[j]) + 1;

				memcpy(at, name[j], n);
				kept[j] = at;
				at += n;
			}
		/* (no memory: the frames without names, as strdup's NULL
		 * left them) */
		w->bt[k].module = kept[0];
		w->bt[k].symbol = kept[1];
	}
}

void sv_who_drop(struct sv_who *w)
{
	free(w->names);
	w->names = NULL;
	w->bt_n = 0;
}

const struct event_foreign *sv_who_foreign(const struct sv_who *w, struct event_foreign *f)
{
	memset(f, 0, sizeof *f);
	f->pid = w->pid;
	f->tid = w->tid;
	f->prog = w->prog;
	f->bt = w->bt;
	f->bt_n = w->bt_n;
	return f;
}
