/* Function names from a Go binary's .gopclntab.
 *
 * `go build -ldflags="-s -w"`, the usual container build, strips the
 * symbol table: libdw then names no frame of a static Go program.  The
 * runtime keeps its own table for its tracebacks (what `go tool addr2line`
 * reads); its layout since Go 1.18 (runtime/symtab.go):
 *
 *   pcHeader: magic u32 (0xfffffff0: 1.18, 0xfffffff1: 1.20), 2 pad
 *             bytes, minLC u8, ptrSize u8, then ptrSize-wide: nfunc,
 *             nfiles, textStart, funcnameOffset, cuOffset, filetabOffset,
 *             pctabOffset, pclnOffset (offsets from the header)
 *   at pclnOffset: functab, nfunc + 1 pairs of u32 (entry offset from
 *             textStart, offset of the function's _func from functab),
 *             the last an end marker
 *   _func:    entryOff u32, nameOff i32 (into funcnametab), ...
 *
 * Every read is bounded by the section: the binary is the program's. */
#define _GNU_SOURCE
#include "supervisor.h"

#include <string.h>

static bool get32(const struct sv_gopcln *t, uint64_t off, uint32_t *v)
{
	if (off > t->len || t->len - off < 4)
		return false;
	memcpy(v, t->p + off, 4);
	return true;
}

static bool get_word(const struct sv_gopcln *t, uint64_t off, uint64_t *v)
{
	if (off > t->len || t->len - off < t->ptr_size)
		return false;
	if (t->ptr_size == 8) {
		memcpy(v, t->p + off, 8);
	} else {
		uint32_t w;

		memcpy(&w, t->p + off, 4);
		*v = w;
	}
	return true;
}

bool sv_gopcln_open(struct sv_gopcln *t, const void *data, size_t len, uint64_t text_addr)
{
	uint32_t magic;
	uint64_t nfunc, text, funcnames, pcln;

	memset(t, 0, sizeof *t);
	t->p = data;
	t->len = len;
	if (!data || len < 8 || !get32(t, 0, &magic) || (magic != 0xfffffff0 && magic != 0xfffffff1))
		return false;
	t->ptr_size = t->p[7];
	if ((t->ptr_size != 4 && t->ptr_size != 8) || t->p[4] || t->p[5])
		return false;
	if (!get_word(t, 8, &nfunc) || !get_word(t, 8 + 2 * t->ptr_size, &text) ||
	    !get_word(t, 8 + 3 * t->ptr_size, &funcnames) ||
	    !get_word(t, 8 + 7 * t->ptr_size, &pcln))
		return false;
	/* the functab's nfunc + 1 pairs must fit (nfunc + 1 <= (len - pcln) / 8,
	 * written so that nothing wraps) */
	if (funcnames >= len || pcln >= len || nfunc == 0 || nfunc >= (len - pcln) / 8)
		return false;
	t->nfunc = nfunc;
	/* (a position-independent build's is relocated at run time: 0 in
	 * the file) */
	t->text = text ? text : text_addr;
	t->funcnames = funcnames;
	t->pcln = pcln;
	t->ok = true;
	return true;
}

const char *sv_gopcln_name(const struct sv_gopcln *t, uint64_t addr, uint64_t *start)
{
	uint64_t lo = 0, hi, off;
	uint32_t entry, end, funcoff, name_off;
	const char *name;

	if (!t->ok || addr < t->text)
		return NULL;
	off = addr - t->text;
	hi = t->nfunc;
	if (!get32(t, t->pcln + 8 * t->nfunc, &end) || off >= end)
		return NULL;
	/* the last function whose entry is at or below off */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (!get32(t, t->pcln + 8 * mid, &entry))
			return NULL;
		if (entry <= off)
			lo = mid;
		else
			hi = mid;
	}
	if (!get32(t, t->pcln + 8 * lo, &entry) || entry > off ||
	    !get32(t, t->pcln + 8 * lo + 4, &funcoff) ||
	    !get32(t, t->pcln + (uint64_t)funcoff + 4, &name_off) ||
	    t->funcnames + name_off >= t->len)
		return NULL;
	name = (const char *)t->p + t->funcnames + name_off;
	/* a name ends within the section */
	if (!memchr(name, '\0', t->len - (t->funcnames + name_off)) || !*name)
		return NULL;
	*start = t->text + entry;
	return name;
}
