/* Who made a call, kept for a record written later (a lingering that
 * ends, a close whose outcome is known after it ran): copies, since the
 * process may be gone and its frames' names with it. */
#define _GNU_SOURCE
#include "supervisor.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void sv_who_keep(struct sv_who *w, const struct event_foreign *f)
{
	w->pid = f->pid;
	w->tid = f->tid;
	strncpy(w->prog, f->prog ? f->prog : "", sizeof w->prog - 1);
	w->prog[sizeof w->prog - 1] = '\0';
	w->bt_n = f->bt_n < SV_BT_MAX ? f->bt_n : SV_BT_MAX;
	for (int k = 0; k < w->bt_n; k++) {
		w->bt[k] = f->bt[k];
		w->bt[k].module = dup_or_null(f->bt[k].module);
		w->bt[k].symbol = dup_or_null(f->bt[k].symbol);
	}
}

void sv_who_drop(struct sv_who *w)
{
	for (int i = 0; i < w->bt_n; i++) {
		free((char *)w->bt[i].module);
		free((char *)w->bt[i].symbol);
	}
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
