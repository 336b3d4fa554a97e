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
 *   _func:    entryOff u32, nameOff i32 (into funcnametab), args i32,
 *             deferreturn u32, pcsp u32 (into pctab), pcfile, pcln,
 *             npcdata, cuOffset u32, [1.20: startLine i32,] funcID u8,
 *             flag u8 (funcFlag_TOPFRAME 1, funcFlag_SPWRITE 2), ...
 *   a pc-value table (runtime/symtab.go pcvalue, step): pairs of
 *             uvarints, a zig-zag value delta (the first from -1) and a pc
 *             delta in units of minLC; the value holds from the pc before
 *             up to the pc after; a value delta of 0 past the first ends
 *             the table.  pcsp's value: how far below the frame's return
 *             address the stack pointer is.
 *
 * Go 1.16's table (0xfffffffa) has another layout: refused.
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
	uint64_t nfunc, text, funcnames, pctab, pcln;

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
	    !get_word(t, 8 + 6 * t->ptr_size, &pctab) ||
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
	/* (a table without pcsp's: names only) */
	t->pctab = pctab < len ? pctab : 0;
	t->min_lc = t->p[6] ? t->p[6] : 1;
	t->flag_off = magic == 0xfffffff0 ? 37 : 41; /* 1.20 added startLine */
	t->ok = true;
	return true;
}

/* The _func of the function at off from text (its offset from the
 * functab) and its entry's offset. */
static bool find(const struct sv_gopcln *t, uint64_t off, uint32_t *entry, uint32_t *funcoff)
{
	uint64_t lo = 0, hi = t->nfunc;
	uint32_t end;

	if (!get32(t, t->pcln + 8 * t->nfunc, &end) || off >= end)
		return false;
	/* the last function whose entry is at or below off */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (!get32(t, t->pcln + 8 * mid, entry))
			return false;
		if (*entry <= off)
			lo = mid;
		else
			hi = mid;
	}
	return get32(t, t->pcln + 8 * lo, entry) && *entry <= off &&
	       get32(t, t->pcln + 8 * lo + 4, funcoff);
}

const char *sv_gopcln_name(const struct sv_gopcln *t, uint64_t addr, uint64_t *start)
{
	uint32_t entry, funcoff, name_off;
	const char *name;

	if (!t->ok || addr < t->text || !find(t, addr - t->text, &entry, &funcoff) ||
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

bool sv_gopcln_func(const struct sv_gopcln *t, uint64_t addr, struct sv_gofunc *f)
{
	uint32_t entry, funcoff;
	uint64_t start, base;

	memset(f, 0, sizeof *f);
	if (!(f->name = sv_gopcln_name(t, addr, &start)) ||
	    !find(t, addr - t->text, &entry, &funcoff))
		return false;
	base = t->pcln + (uint64_t)funcoff;
	f->entry = start;
	if (base + t->flag_off >= t->len || !get32(t, base + 16, &f->pcsp))
		return false;
	f->flag = t->p[base + t->flag_off];
	return true;
}

static bool uvarint(const struct sv_gopcln *t, uint64_t *off, uint32_t *v)
{
	uint32_t r = 0;

	for (unsigned shift = 0; shift < 35; shift += 7) {
		uint8_t b;

		if (*off >= t->len)
			return false;
		b = t->p[(*off)++];
		r |= (uint32_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return true;
		}
	}
	return false;
}

bool sv_gopcln_spdelta(const struct sv_gopcln *t, const struct sv_gofunc *f, uint64_t addr,
		       int32_t *delta)
{
	uint64_t off, pc = f->entry;
	uint32_t val = (uint32_t)-1, dv, dpc;

	if (!t->ok || !t->pctab || !f->pcsp || addr < f->entry ||
	    t->pctab + (uint64_t)f->pcsp >= t->len)
		return false;
	off = t->pctab + f->pcsp;
	/* (each step reads at least 2 bytes of the section: it ends) */
	for (bool first = true;; first = false) {
		if (!uvarint(t, &off, &dv) || (dv == 0 && !first) || !uvarint(t, &off, &dpc))
			return false;
		val += -(dv & 1) ^ (dv >> 1);
		pc += (uint64_t)dpc * t->min_lc;
		if (addr < pc) {
			*delta = (int32_t)val;
			return true;
		}
	}
}
