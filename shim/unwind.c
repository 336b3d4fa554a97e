/* The shim's own unwinder (see unwind.h). */
#define _GNU_SOURCE
#include "unwind.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <ucontext.h>

#include "coldmem.h"
#include "sys.h"

/* glibc 2.35 and later: lock-free, async-signal-safe, and safe in a forked
 * child (dl_iterate_phdr's lock is left as it was at the fork there). */
#pragma weak _dl_find_object

/* ---- Reading DWARF call frame information, every read bounded ---- */

struct cursor {
	const uint8_t *p, *end;
	bool bad;
};

static uint64_t get_u(struct cursor *c, size_t n)
{
	uint64_t v = 0;

	if (c->bad || (size_t)(c->end - c->p) < n) {
		c->bad = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++) /* little-endian */
		v |= (uint64_t)c->p[i] << (8 * i);
	c->p += n;
	return v;
}

static uint64_t get_uleb(struct cursor *c)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (!c->bad) {
		uint8_t b;

		if (c->p >= c->end || shift > 63) {
			c->bad = true;
			break;
		}
		b = *c->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	return c->bad ? 0 : v;
}

static int64_t get_sleb(struct cursor *c)
{
	int64_t v = 0;
	unsigned shift = 0;
	uint8_t b = 0;

	while (!c->bad) {
		if (c->p >= c->end || shift > 63) {
			c->bad = true;
			return 0;
		}
		b = *c->p++;
		v |= (int64_t)((uint64_t)(b & 0x7f) << shift);
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (shift < 64 && (b & 0x40))
		v |= (int64_t)(~(uint64_t)0 << shift);
	return v;
}

/* DW_EH_PE encodings */
#define PE_OMIT 0xff
#define PE_ABSPTR 0x00
#define PE_ULEB128 0x01
#define PE_UDATA2 0x02
#define PE_UDATA4 0x03
#define PE_UDATA8 0x04
#define PE_SLEB128 0x09
#define PE_SDATA2 0x0a
#define PE_SDATA4 0x0b
#define PE_SDATA8 0x0c
#define PE_PCREL 0x10
#define PE_DATAREL 0x30

/* An encoded pointer; only absolute and pc-relative ones are computed
 * (what FDEs use), anything else read and marked bad unless skip. */
static uint64_t get_encoded(struct cursor *c, uint8_t enc, bool skip)
{
	uintptr_t here = (uintptr_t)c->p;
	uint64_t v;

	if (enc == PE_OMIT)
		return 0;
	switch (enc & 0x0f) {
	case PE_ABSPTR: v = get_u(c, sizeof(void *)); break;
	case PE_ULEB128: v = get_uleb(c); break;
	case PE_UDATA2: v = get_u(c, 2); break;
	case PE_UDATA4: v = get_u(c, 4); break;
	case PE_UDATA8: v = get_u(c, 8); break;
	case PE_SLEB128: v = (uint64_t)get_sleb(c); break;
	case PE_SDATA2: v = (uint64_t)(int64_t)(int16_t)get_u(c, 2); break;
	case PE_SDATA4: v = (uint64_t)(int64_t)(int32_t)get_u(c, 4); break;
	case PE_SDATA8: v = get_u(c, 8); break;
	default: c->bad = true; return 0;
	}
	if (skip)
		return 0;
	switch (enc & 0x70) {
	case 0: break;
	case PE_PCREL: v += here; break;
	default: c->bad = true; return 0;
	}
	if (enc & 0x80) /* indirect: never needed for an FDE's range */
		c->bad = true;
	return v;
}

/* An entry (CIE or FDE) at p: its contents up to its end, and where its
 * length field ended (the base of an FDE's CIE pointer). */
static bool entry(const uint8_t *p, const uint8_t *lo, const uint8_t *hi, struct cursor *body)
{
	struct cursor c = {p, hi, p < lo || p >= hi};
	uint64_t len = get_u(&c, 4);

	if (c.bad || len == 0 || len == 0xffffffff || len > (uint64_t)(hi - c.p))
		return false; /* a terminator, 64-bit DWARF (never in .eh_frame here) */
	body->p = c.p;
	body->end = c.p + len;
	body->bad = false;
	return true;
}

/* What the CFA program tracks: the CFA, and the rules of the two registers
 * the unwinder restores (the frame pointer and the return address). */
/* R_BPREL: saved at the frame's own frame pointer + off (GCC's DRAP
 * frames, which realign the stack, say so by an expression) */
enum reg_rule { R_SAME, R_UNDEF, R_OFFSET, R_OTHER, R_BPREL };
struct cfa_state {
	uint64_t cfa_reg;
	int64_t cfa_off;
	bool cfa_expr;
	bool cfa_deref; /* the CFA is the word at cfa_reg + cfa_off (DRAP) */
	uint8_t bp, ra;
	int64_t bp_off, ra_off;
};

#define REG_BP 6
#define REG_SP 7
#define REG_RA 16
#define STATE_STACK 8

struct cie {
	uint64_t code_align;
	int64_t data_align;
	uint8_t fde_enc;
	bool has_aug_data;
	bool signal; /* 'S': the frame of a signal's return (the kernel's
			context lies at the CFA the handler returned to) */
	struct cursor init; /* its initial instructions */
};

static bool parse_cie(struct cursor *c, struct cie *cie)
{
	char aug[8];
	size_t n = 0;
	uint8_t version;
	uint64_t ra_reg;

	if (get_u(c, 4) != 0) /* CIE id */
		return false;
	version = (uint8_t)get_u(c, 1);
	if (version != 1 && version != 3)
		return false;
	for (;;) {
		uint8_t ch = (uint8_t)get_u(c, 1);

		if (c->bad || n == sizeof aug)
			return false;
		aug[n++] = (char)ch;
		if (!ch)
			break;
	}
	cie->code_align = get_uleb(c);
	cie->data_align = get_sleb(c);
	ra_reg = version == 1 ? get_u(c, 1) : get_uleb(c);
	if (ra_reg != REG_RA)
		return false;
	cie->fde_enc = PE_ABSPTR;
	cie->signal = false;
	cie->has_aug_data = aug[0] == 'z';
	if (cie->has_aug_data) {
		uint64_t len = get_uleb(c);
		struct cursor a;

		if (c->bad || len > (uint64_t)(c->end - c->p))
			return false;
		a = (struct cursor){c->p, c->p + len, false};
		for (size_t i = 1; aug[i]; i++) {
			switch (aug[i]) {
			case 'R': cie->fde_enc = (uint8_t)get_u(&a, 1); break;
			case 'L': get_u(&a, 1); break;
			case 'P': get_encoded(&a, (uint8_t)get_u(&a, 1), true); break;
			case 'S': cie->signal = true; break; /* a signal frame */
			default: return false;
			}
		}
		if (a.bad)
			return false;
		c->p += len;
	} else if (aug[0]) {
		return false;
	}
	cie->init = *c;
	return !c->bad;
}

/* A factored offset times the data alignment, wrapping as the hardware
 * does (garbage in, a rule refused later; never undefined behaviour). */
static int64_t scaled(uint64_t v, int64_t align)
{
	return (int64_t)(v * (uint64_t)align);
}

static void set_rule(struct cfa_state *s, uint64_t reg, uint8_t rule, int64_t off)
{
	if (reg == REG_BP) {
		s->bp = rule;
		s->bp_off = off;
	} else if (reg == REG_RA) {
		s->ra = rule;
		s->ra_off = off;
	}
}

/* binutils' .plt: rsp + off, 8 more once the stub (16 bytes) has pushed
 * its index, at byte k of it: DW_OP_breg7 off; DW_OP_breg16 0; DW_OP_lit15;
 * DW_OP_and; DW_OP_lit<k>; DW_OP_ge; DW_OP_lit3; DW_OP_shl; DW_OP_plus.
 * Only a frame interrupted there (a signal) is ever in it; the frame
 * pointer chain would skip the function that called through it, where
 * libunwind evaluates the expression. */
static bool plt_cfa(const uint8_t *e, uint64_t len, uint64_t pc, struct cfa_state *s)
{
	static const uint8_t tail[] = {0x80, 0x00, 0x3f, 0x1a, 0, 0x2a, 0x33, 0x24, 0x22};

	if (len != 2 + sizeof tail || e[0] != 0x77 || (e[1] & 0x80) ||
	    memcmp(e + 2, tail, 4) != 0 || e[6] < 0x30 || e[6] > 0x3f ||
	    memcmp(e + 7, tail + 5, 4) != 0)
		return false;
	s->cfa_reg = REG_SP;
	s->cfa_off = (int64_t)(e[1] & 0x3f) - (int64_t)(e[1] & 0x40) +
		     ((pc & 15) >= (uint64_t)(e[6] - 0x30) ? 8 : 0);
	s->cfa_expr = s->cfa_deref = false;
	return true;
}

/* An expression that is rbp + off, then a deref if deref (exactly those
 * operations: DW_OP_breg6 off [DW_OP_deref]). */
static bool bp_relative(const uint8_t *e, uint64_t len, bool deref, int64_t *off)
{
	struct cursor x = {e, e + len, false};

	if (get_u(&x, 1) != 0x76)
		return false;
	*off = get_sleb(&x);
	if (deref && get_u(&x, 1) != 0x06)
		return false;
	return !x.bad && x.p == x.end;
}

/* GCC's DRAP frames (a function that realigns its stack and also has
 * variable-sized locals): the CFA is the word at rbp + off, where the
 * prologue kept the stack pointer it came with (DW_OP_breg6 off;
 * DW_OP_deref), and rbp is saved at rbp + off (DW_OP_breg6 off).
 * libunwind evaluates the expressions; the frame pointer chain would take
 * rbp + 16 for the CFA, which it is not. */
static bool drap_cfa(const uint8_t *e, uint64_t len, struct cfa_state *s)
{
	int64_t off;

	if (!bp_relative(e, len, true, &off))
		return false;
	s->cfa_reg = REG_BP;
	s->cfa_off = off;
	s->cfa_deref = true;
	s->cfa_expr = false;
	return true;
}

/* Runs a CFA program up to the row of pc (loc: the address it starts at).
 * init: the state after the CIE's instructions, for DW_CFA_restore. */
static bool run_cfa(struct cursor *c, const struct cie *cie, uint64_t loc, uint64_t pc,
		    struct cfa_state *s, const struct cfa_state *init)
{
	struct cfa_state saved[STATE_STACK];
	int depth = 0;

	while (c->p < c->end && !c->bad) {
		uint8_t op = (uint8_t)get_u(c, 1);
		uint64_t reg, delta = 0;
		bool advance = false;

		switch (op >> 6) {
		case 1: delta = op & 0x3f; advance = true; break;
		case 2:
			set_rule(s, op & 0x3f, R_OFFSET, scaled(get_uleb(c), cie->data_align));
			continue;
		case 3:
			if (!init)
				return false;
			reg = op & 0x3f;
			if (reg == REG_BP)
				s->bp = init->bp, s->bp_off = init->bp_off;
			else if (reg == REG_RA)
				s->ra = init->ra, s->ra_off = init->ra_off;
			continue;
		default: break;
		}
		if (!advance) {
			switch (op) {
			case 0x00: break; /* nop */
			case 0x01: /* set_loc */
				delta = get_encoded(c, cie->fde_enc, false);
				if (delta < loc)
					return false;
				if (delta > pc)
					return true;
				loc = delta;
				break;
			case 0x02: delta = get_u(c, 1); advance = true; break;
			case 0x03: delta = get_u(c, 2); advance = true; break;
			case 0x04: delta = get_u(c, 4); advance = true; break;
			case 0x05: /* offset_extended */
				reg = get_uleb(c);
				set_rule(s, reg, R_OFFSET, scaled(get_uleb(c), cie->data_align));
				break;
			case 0x06: /* restore_extended */
				reg = get_uleb(c);
				if (!init)
					return false;
				if (reg == REG_BP)
					s->bp = init->bp, s->bp_off = init->bp_off;
				else if (reg == REG_RA)
					s->ra = init->ra, s->ra_off = init->ra_off;
				break;
			case 0x07: set_rule(s, get_uleb(c), R_UNDEF, 0); break;
			case 0x08: set_rule(s, get_uleb(c), R_SAME, 0); break;
			case 0x09: /* register */
				reg = get_uleb(c);
				get_uleb(c);
				set_rule(s, reg, R_OTHER, 0);
				break;
			case 0x0a:
				if (depth == STATE_STACK)
					return false;
				saved[depth++] = *s;
				break;
			case 0x0b:
				if (depth == 0)
					return false;
				/* the CFA rule too, as GCC's unwinder reads it
				 * (epilogues rely on it) */
				*s = saved[--depth];
				break;
			case 0x0c: /* def_cfa */
				s->cfa_reg = get_uleb(c);
				s->cfa_off = (int64_t)get_uleb(c);
				s->cfa_expr = s->cfa_deref = false;
				break;
			case 0x0d:
				s->cfa_reg = get_uleb(c);
				s->cfa_expr = s->cfa_deref = false;
				break;
			case 0x0e: /* (of a register rule only: not after an expression) */
				s->cfa_off = (int64_t)get_uleb(c);
				s->cfa_expr |= s->cfa_deref;
				break;
			case 0x0f: { /* def_cfa_expression */
				uint64_t len = get_uleb(c);

				if (len > (uint64_t)(c->end - c->p))
					return false;
				if (plt_cfa(c->p, len, pc, s) || drap_cfa(c->p, len, s)) {
					c->p += len;
					break;
				}
				c->p += len;
				s->cfa_expr = true;
				break;
			}
			case 0x10: /* expression */
			case 0x16: { /* val_expression */
				uint64_t len;
				int64_t off;

				reg = get_uleb(c);
				len = get_uleb(c);
				if (len > (uint64_t)(c->end - c->p))
					return false;
				if (op == 0x10 && reg == REG_BP && bp_relative(c->p, len, false, &off))
					set_rule(s, reg, R_BPREL, off);
				else
					set_rule(s, reg, R_OTHER, 0);
				c->p += len;
				break;
			}
			case 0x11: /* offset_extended_sf */
				reg = get_uleb(c);
				set_rule(s, reg, R_OFFSET, scaled((uint64_t)get_sleb(c), cie->data_align));
				break;
			case 0x12: /* def_cfa_sf */
				s->cfa_reg = get_uleb(c);
				s->cfa_off = scaled((uint64_t)get_sleb(c), cie->data_align);
				s->cfa_expr = s->cfa_deref = false;
				break;
			case 0x13:
				s->cfa_off = scaled((uint64_t)get_sleb(c), cie->data_align);
				s->cfa_expr |= s->cfa_deref;
				break;
			case 0x14: /* val_offset */
				reg = get_uleb(c);
				get_uleb(c);
				set_rule(s, reg, R_OTHER, 0);
				break;
			case 0x15:
				reg = get_uleb(c);
				get_sleb(c);
				set_rule(s, reg, R_OTHER, 0);
				break;
			case 0x2e: get_uleb(c); break; /* GNU_args_size */
			case 0x2f: /* GNU_negative_offset_extended */
				reg = get_uleb(c);
				set_rule(s, reg, R_OFFSET, scaled(0 - get_uleb(c), cie->data_align));
				break;
			default: return false;
			}
		}
		if (advance) {
			if (!init) /* a CIE's instructions do not advance */
				return false;
			loc += delta * cie->code_align;
			if (loc > pc)
				return true;
		}
	}
	return !c->bad;
}

struct unwind_rule unwind_rule_from_fde(const uint8_t *fde, const uint8_t *lo,
					const uint8_t *hi, uintptr_t pc)
{
	struct unwind_rule rule = {.kind = UNWIND_FAIL};
	struct cursor f, cc;
	struct cie cie;
	struct cfa_state s = {.cfa_reg = REG_SP, .bp = R_SAME, .ra = R_UNDEF}, init;
	const uint8_t *cie_at, *id_at;
	uint64_t id, begin, range;

	if (!entry(fde, lo, hi, &f))
		return rule;
	id_at = f.p;
	id = get_u(&f, 4);
	if (f.bad || id == 0 || id > (uint64_t)(id_at - lo))
		return rule; /* a CIE, or a CIE pointer out of the section */
	cie_at = id_at - id;
	if (!entry(cie_at, lo, hi, &cc) || !parse_cie(&cc, &cie))
		return rule;
	begin = get_encoded(&f, cie.fde_enc, false);
	range = get_encoded(&f, cie.fde_enc & 0x0f, false);
	if (f.bad || pc < begin || pc - begin >= range)
		return rule;
	if (cie.has_aug_data) {
		uint64_t len = get_uleb(&f);

		if (f.bad || len > (uint64_t)(f.end - f.p))
			return rule;
		f.p += len;
	}
	if (cie.signal) {
		/* glibc's __restore_rt: its CFA is a DWARF expression over the
		 * saved context, which the walk reads itself */
		rule.kind = UNWIND_SIGNAL;
		return rule;
	}
	if (!run_cfa(&cie.init, &cie, begin, pc, &s, NULL))
		return rule;
	init = s;
	if (!run_cfa(&f, &cie, begin, pc, &s, &init))
		return rule;
	if (s.cfa_expr || (s.cfa_reg != REG_SP && s.cfa_reg != REG_BP) ||
	    s.cfa_off < INT32_MIN || s.cfa_off > INT32_MAX)
		return rule;
	/* (a DRAP frame's CFA is found through rbp, below which everything
	 * else of it lies) */
	if (s.ra == R_UNDEF) {
		rule.kind = UNWIND_END;
		return rule;
	}
	/* saved registers lie below the CFA, as every x86-64 compiler puts
	 * them */
	if (s.ra != R_OFFSET || s.bp == R_OTHER || s.ra_off < INT16_MIN || s.ra_off > -8 ||
	    (s.bp == R_OFFSET && (s.bp_off < INT16_MIN || s.bp_off > -8)) ||
	    (s.bp == R_BPREL && (s.bp_off < INT16_MIN || s.bp_off > INT16_MAX)))
		return rule;
	rule.kind = UNWIND_STEP;
	rule.cfa_base = s.cfa_deref ? UNWIND_CFA_BP_DEREF : (uint8_t)s.cfa_reg;
	rule.cfa_off = (int32_t)s.cfa_off;
	rule.ra_off = (int32_t)s.ra_off;
	/* rbp saved at rbp + off is a DRAP frame's; after its epilogue's
	 * leave (CFA rsp + 8 again) GCC leaves the rule as it was, but rbp
	 * is then the caller's already: left as it is */
	if (s.bp == R_BPREL && !s.cfa_deref)
		s.bp = R_SAME;
	/* an undefined frame pointer: left as it is (what a caller that
	 * needs it will find wrong, and libunwind too) */
	rule.bp_saved = s.bp == R_OFFSET || s.bp == R_BPREL;
	rule.bp_at_bp = s.bp == R_BPREL;
	rule.bp_off = rule.bp_saved ? (int32_t)s.bp_off : 0;
	return rule;
}

#if SHIM_OWN_UNWINDER

/* ---- Finding the FDE of an address: .eh_frame_hdr's sorted table ---- */

struct find {
	uintptr_t pc;
	const uint8_t *hdr, *hdr_end; /* .eh_frame_hdr */
	const uint8_t *lo, *hi;	      /* bounds of .eh_frame */
};

static int find_module(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct find *f = ctx;
	const ElfW(Phdr) *text = NULL, *eh = NULL;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && f->pc >= start && f->pc - start < ph->p_memsz)
			text = ph;
		else if (ph->p_type == PT_GNU_EH_FRAME)
			eh = ph;
	}
	if (!text)
		return 0;
	if (!eh)
		return 1; /* the module, without a table: not followed here */
	f->hdr = (const uint8_t *)(info->dlpi_addr + eh->p_vaddr);
	f->hdr_end = f->hdr + eh->p_memsz;
	/* .eh_frame lies in a loaded segment: it bounds every read */
	{
		struct cursor c = {f->hdr, f->hdr + eh->p_memsz, false};
		uint8_t version = (uint8_t)get_u(&c, 1), ptr_enc = (uint8_t)get_u(&c, 1);
		uintptr_t frame;

		get_u(&c, 2);
		frame = (uintptr_t)get_encoded(&c, ptr_enc, false);
		if (c.bad || version != 1) {
			f->hdr = NULL;
			return 1;
		}
		for (int i = 0; i < info->dlpi_phnum; i++) {
			const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
			uintptr_t start = info->dlpi_addr + ph->p_vaddr;

			if (ph->p_type == PT_LOAD && frame >= start && frame - start < ph->p_memsz) {
				f->lo = (const uint8_t *)frame;
				f->hi = (const uint8_t *)(start + ph->p_memsz);
			}
		}
		if (!f->lo)
			f->hdr = NULL;
	}
	return 1;
}

/* The rule at pc, looked up from the module's call frame information. */
static struct unwind_rule look_up(uintptr_t pc)
{
	struct unwind_rule fail = {.kind = UNWIND_FAIL};
	struct find f = {.pc = pc};
	struct cursor c;
	uint8_t ptr_enc, count_enc, table_enc;
	uint64_t count;
	const uint8_t *table;
	size_t lo = 0, hi;
	int32_t start, off;

	if (_dl_find_object) {
		struct dl_find_object o;
		struct cursor h;
		uint8_t version, enc;
		uintptr_t frame;

		if (_dl_find_object((void *)pc, &o) != 0 || !o.dlfo_eh_frame)
			return fail;
		f.hdr = o.dlfo_eh_frame;
		f.hdr_end = (const uint8_t *)o.dlfo_map_end;
		h = (struct cursor){f.hdr, f.hdr_end, false};
		version = (uint8_t)get_u(&h, 1);
		enc = (uint8_t)get_u(&h, 1);
		get_u(&h, 2);
		frame = (uintptr_t)get_encoded(&h, enc, false);
		/* .eh_frame lies in the module's mapping: the bounds of reads */
		if (h.bad || version != 1 || frame < (uintptr_t)o.dlfo_map_start ||
		    frame >= (uintptr_t)o.dlfo_map_end)
			return fail;
		f.lo = (const uint8_t *)frame;
		f.hi = (const uint8_t *)o.dlfo_map_end;
	} else {
		dl_iterate_phdr(find_module, &f);
	}
	if (!f.hdr)
		return fail;
	c = (struct cursor){f.hdr + 1, f.hdr_end, false};
	ptr_enc = (uint8_t)get_u(&c, 1);
	count_enc = (uint8_t)get_u(&c, 1);
	table_enc = (uint8_t)get_u(&c, 1);
	get_encoded(&c, ptr_enc, true);
	count = get_encoded(&c, count_enc, false);
	/* the binary search table as binutils and lld write it */
	if (c.bad || table_enc != (PE_DATAREL | PE_SDATA4) || count == 0 ||
	    count > (uint64_t)(f.hdr_end - c.p) / 8)
		return fail;
	table = c.p;
	hi = (size_t)count;
	/* the last entry whose start is at or below pc */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		memcpy(&start, table + 8 * mid, 4);
		if ((uintptr_t)(f.hdr + start) <= pc)
			lo = mid;
		else
			hi = mid;
	}
	memcpy(&start, table + 8 * lo, 4);
	memcpy(&off, table + 8 * lo + 4, 4);
	if ((uintptr_t)(f.hdr + start) > pc)
		return fail;
	return unwind_rule_from_fde(f.hdr + off, f.lo, f.hi, pc);
}

/* ---- The cache: return address -> rule, lock-free, 4-way ---- */

#define SLOTS 4096
#define WAYS 4

/* A slot is a seqlock whose writer never waits (it takes the slot by a
 * compare-and-swap of seq from even to odd, or does not cache); a reader
 * trusts what it copied only if seq was even and unchanged. */
struct slot {
	uint32_t seq, gen;
	uint64_t key;
	int32_t cfa_off;
	int16_t ra_off, bp_off;
	uint8_t kind, base, bp_saved, bp_at_bp;
};
static struct slot rule_cache[SLOTS];
static uint32_t generation;

void unwind_invalidate(void)
{
	__atomic_add_fetch(&generation, 1, __ATOMIC_ACQ_REL);
}

static struct slot *set_of(uintptr_t pc)
{
	return &rule_cache[(unsigned)((pc * 0x9e3779b97f4a7c15ULL) >> 40) % (SLOTS / WAYS) * WAYS];
}

static bool slot_get(struct slot *s, uint64_t key, uint32_t gen, struct unwind_rule *r)
{
	uint32_t q = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);

	if ((q & 1) || __atomic_load_n(&s->key, __ATOMIC_ACQUIRE) != key ||
	    __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) != gen)
		return false;
	r->cfa_off = __atomic_load_n(&s->cfa_off, __ATOMIC_ACQUIRE);
	r->ra_off = __atomic_load_n(&s->ra_off, __ATOMIC_ACQUIRE);
	r->bp_off = __atomic_load_n(&s->bp_off, __ATOMIC_ACQUIRE);
	r->kind = __atomic_load_n(&s->kind, __ATOMIC_ACQUIRE);
	r->cfa_base = __atomic_load_n(&s->base, __ATOMIC_ACQUIRE);
	r->bp_saved = __atomic_load_n(&s->bp_saved, __ATOMIC_ACQUIRE);
	r->bp_at_bp = __atomic_load_n(&s->bp_at_bp, __ATOMIC_ACQUIRE);
	return __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) == q;
}

static void slot_put(struct slot *set, uint64_t key, uint32_t gen, const struct unwind_rule *r)
{
	struct slot *s = NULL;
	uint32_t seq;

	/* an empty or stale way, else one chosen by the address */
	for (int w = 0; w < WAYS && !s; w++)
		if (__atomic_load_n(&set[w].key, __ATOMIC_RELAXED) == 0 ||
		    __atomic_load_n(&set[w].gen, __ATOMIC_RELAXED) != gen)
			s = &set[w];
	if (!s)
		s = &set[(key >> 4) % WAYS];
	seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
	if ((seq & 1) || !__atomic_compare_exchange_n(&s->seq, &seq, seq + 1, false,
						      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	__atomic_store_n(&s->key, key, __ATOMIC_RELEASE);
	__atomic_store_n(&s->gen, gen, __ATOMIC_RELEASE);
	__atomic_store_n(&s->cfa_off, r->cfa_off, __ATOMIC_RELEASE);
	__atomic_store_n(&s->ra_off, (int16_t)r->ra_off, __ATOMIC_RELEASE);
	__atomic_store_n(&s->bp_off, (int16_t)r->bp_off, __ATOMIC_RELEASE);
	__atomic_store_n(&s->kind, r->kind, __ATOMIC_RELEASE);
	__atomic_store_n(&s->base, r->cfa_base, __ATOMIC_RELEASE);
	__atomic_store_n(&s->bp_saved, (uint8_t)r->bp_saved, __ATOMIC_RELEASE);
	__atomic_store_n(&s->bp_at_bp, (uint8_t)r->bp_at_bp, __ATOMIC_RELEASE);
	__atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

static struct unwind_rule rule_for(uintptr_t pc)
{
	uint32_t gen = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
	uint64_t key = (uint64_t)pc;
	struct slot *set = set_of(pc);
	struct unwind_rule r;

	for (int w = 0; w < WAYS; w++)
		if (slot_get(&set[w], key, gen, &r))
			return r;
	r = look_up(pc);
	slot_put(set, key, gen, &r);
	return r;
}

/* A CFA further than this above the stack pointer is not believed. */
#define FRAME_MAX ((uintptr_t)64 << 20)

/* ---- Reading the stack without faulting ----
 *
 * Every read of a step lies below its CFA.  With right unwind information
 * the CFA stays on the stack; with wrong or missing information (the top
 * of a coroutine's stack, entered by a jump rather than a call) it may
 * point past the stack's end, onto a guard page.  So the stack memory
 * known to be readable on this thread is kept, and grows a page at a time,
 * each page asked of the kernel once: process_vm_readv of one byte fails
 * where a read would fault.  It is one word (the start's page << 24 | the
 * number of pages): a signal handler that changes it between two reads of
 * it cannot pair one range's start with another's end. */
static __thread uint64_t readable __attribute__((tls_model("initial-exec")));

struct stack_range {
	uintptr_t lo, hi;
	/* the nearest word (its offset from sp) that a replay found beyond hi
	 * (0: none): see room_wanted */
	uintptr_t want;
};

/* The range to start from at sp; live: sp is this thread's own stack
 * pointer now (its page is readable: the code runs on it). */
SHIM_FORK_TEXT static void range_start(struct stack_range *r, uintptr_t sp, bool live)
{
	uint64_t w = __atomic_load_n(&readable, __ATOMIC_RELAXED);
	uintptr_t lo = (uintptr_t)(w >> 24) << 12, hi = lo + ((uintptr_t)(w & 0xffffff) << 12);

	if (w == 0 || sp < lo || sp >= hi) {
		lo = sp & ~(uintptr_t)4095;
		hi = live ? lo + 4096 : lo;
	}
	r->lo = lo;
	r->hi = hi;
	r->want = 0;
}

SHIM_FORK_TEXT static void range_keep(const struct stack_range *r)
{
	uintptr_t pages = (r->hi - r->lo) >> 12;

	if (pages > 0 && pages <= 0xffffff)
		__atomic_store_n(&readable, (uint64_t)(r->lo >> 12) << 24 | pages, __ATOMIC_RELAXED);
}

/* (errno as it was: a capture is made inside the program's calls, some
 * outside any errno the shim keeps for them, and an unreadable page is
 * no failure of theirs) */
SHIM_FORK_TEXT static bool page_readable(uintptr_t page)
{
	char byte;
	struct iovec local = {&byte, 1}, remote = {(void *)page, 1};

	return sys_raw6(SYS_process_vm_readv, (long)sys_getpid(), (long)&local, 1, (long)&remote,
			1, 0) == 1;
}

/* Whether [r->lo, end) can be read, growing the range as asked.  (In the
 * child's group, as replay_with_room.) */
SHIM_FORK_TEXT static bool readable_to(struct stack_range *r, uintptr_t end)
{
	while (end > r->hi) {
		if (r->hi - r->lo >= FRAME_MAX || !page_readable(r->hi))
			return false;
		r->hi += 4096;
	}
	return true;
}

/* ---- Whole captures, replayed when the stack still holds them ----
 *
 * A capture is a pure function of where it starts (the stack and frame
 * pointers of unwind_capture's own frame), of the rules (the generation)
 * and of the stack words it reads.  A server closes from the same place at
 * the same depth over and over: the last captures are kept with every word
 * each read (its offset from the start's stack pointer and its value), and
 * a capture that starts where one of them started, in the same generation,
 * finds the same words in the same places, has the same frames: one load
 * and compare per word instead of a rule lookup per frame.  Memory of the
 * stack changes the words; a capture whose words differ is made again.
 *
 * Each kept capture is a seqlock like the rules' slots: a writer takes it
 * by a compare-and-swap or keeps nothing, never waits; a reader trusts
 * what it compared only if seq was even and unchanged, and every word it
 * reads lies in this thread's readable stack whatever it found there. */

#define TRACE_SETS 64
#define TRACE_WAYS 4
#define TRACE_READS 56
#define TRACE_IPS 16

struct trace {
	uint32_t seq, gen;
	uintptr_t pc, sp, bp, skip_lo, skip_hi;
	int32_t max, n, nreads;
	int32_t disc; /* the read of the first frame out of the shim: compared
			 first (the shim's paths start alike; the program's
			 call sites differ there) */
	int32_t cur_bp_off; /* -1: cur.bp as kept; -2: the start's bp; else
			       the cursor's frame pointer is the word at
			       sp + cur_bp_off now */
	/* (flags as bytes, read as "not 0": the shared table's may hold
	 * anything another process wrote) */
	uint8_t first;
	uint8_t bp_key; /* the start's bp must match: a capture's (the shim's
			   own frame pointer), or a resume's that a frame used */
	uint8_t full;	/* more words than fit: not kept (the writer's alone) */
	uint8_t cur_exact;
	uintptr_t cur_pc, cur_sp, cur_bp; /* the cursor the walk left */
	uint32_t off[TRACE_READS];
	uintptr_t val[TRACE_READS];
	void *ips[TRACE_IPS];
};
static struct trace kept_traces[TRACE_SETS * TRACE_WAYS];

/* The captures of the whole fork tree (unwind_share_across_fork): in
 * memory shared with every process forked from this one, so that a
 * forking server's child replays the capture of its call site that an
 * earlier child made, instead of walking cold and writing the pages of
 * the rule cache and of kept_traces (each a copy-on-write fault in every
 * child).  Only captures whose frames all lie in modules never unloaded
 * (tree_permanent): those are at the same addresses, with the same rules,
 * in every process of the tree, whatever each loads or unloads later, so
 * that they need no generation (kept with 0).  NULL: not shared (made at
 * the first fork: unwind_share_across_fork).
 *
 * Any process of the tree can write it: a replay trusts nothing it reads
 * there beyond the stack words it compares (offsets within the readable
 * stack, the cursor checked), so that what another process wrote can make
 * a record name frames that were never called, never make a read leave
 * this thread's stack.  A process killed while it writes a way leaves that
 * way taken (its seq odd) for the tree's life: one way fewer, no wait. */
static struct trace *tree_traces;
static bool (*tree_permanent)(void *const *ips, int n);

/* The capture being recorded (NULL: none) and its start.  bp_at: where
 * the frame pointer the walk now carries was read (the program's at the
 * call, or one a frame saved), not recorded yet: it is recorded only if
 * the walk uses it (a frame whose CFA is found through it, or the cursor
 * it is left in).  Code without frame pointers keeps other values in that
 * register (a loop counter, a pointer), which change from call to call and
 * would otherwise keep its captures from ever being replayed. */
struct recorder {
	struct trace *t;
	uintptr_t sp;
	uintptr_t bp_at;     /* 0: none pending */
	uintptr_t cur_bp_at; /* at the end: where the cursor's frame pointer
				was read (0: not from the stack, or used) */
	bool bp_start;	     /* a resume's walk still carries the bp it
				started with (not keyed unless used) */
	bool cur_bp_start;   /* at the end: the cursor's bp is that one */
};

static uintptr_t read_word(struct recorder *rec, uintptr_t addr)
{
	uintptr_t v = *(const uintptr_t *)addr;

	if (rec && rec->t) {
		struct trace *t = rec->t;
		int32_t i = __atomic_load_n(&t->nreads, __ATOMIC_RELAXED);

		if (i < TRACE_READS && addr - rec->sp <= UINT32_MAX) {
			__atomic_store_n(&t->off[i], (uint32_t)(addr - rec->sp), __ATOMIC_RELAXED);
			__atomic_store_n(&t->val[i], v, __ATOMIC_RELAXED);
			__atomic_store_n(&t->nreads, i + 1, __ATOMIC_RELAXED);
		} else {
			t->full = 1;
		}
	}
	return v;
}

/* The walk is about to depend on the frame pointer it carries. */
static void bp_used(struct recorder *rec)
{
	if (rec && rec->bp_at) {
		read_word(rec, rec->bp_at);
		rec->bp_at = 0;
	} else if (rec && rec->bp_start && rec->t) {
		__atomic_store_n(&rec->t->bp_key, 1, __ATOMIC_RELAXED);
	}
}

/* A capture that crossed a frame recorded captures do not describe (a
 * signal's context, a frame pointer chain) is not kept for replay. */
static void not_kept(struct recorder *rec)
{
	if (rec && rec->t)
		rec->t->full = 1;
	if (rec)
		rec->bp_at = 0;
}

/* One step by rule r from the frame at (*pc, *sp, *bp); false where its
 * reads would leave what is known to be this frame's stack. */
/* A DRAP frame's CFA: the word at bp + off, which must lie on the stack
 * between the frame's stack pointer and FRAME_MAX above it. */
static bool drap_frame_cfa(uintptr_t sp, uintptr_t bp, int32_t off, struct stack_range *range,
			   struct recorder *rec, uintptr_t *cfa)
{
	uintptr_t at = bp + (uintptr_t)(intptr_t)off;

	if ((at & 7) || at < sp || at - sp >= FRAME_MAX || sp < range->lo ||
	    !readable_to(range, at + 8))
		return false;
	*cfa = read_word(rec, at);
	return true;
}

static inline __attribute__((always_inline)) bool rule_step(const struct unwind_rule *r,
							     uintptr_t *pc, uintptr_t *sp,
							     uintptr_t *bp,
							     struct stack_range *range,
							     struct recorder *rec)
{
	uintptr_t cfa, span, ra_at, bp_at;

	if (r->cfa_base != UNWIND_CFA_SP || r->bp_at_bp)
		bp_used(rec);
	if (__builtin_expect(r->cfa_base == UNWIND_CFA_BP_DEREF, 0)) {
		if (!drap_frame_cfa(*sp, *bp, r->cfa_off, range, rec, &cfa))
			return false;
	} else {
		cfa = (r->cfa_base == UNWIND_CFA_BP ? *bp : *sp) + (uintptr_t)(intptr_t)r->cfa_off;
	}
	/* every read lies between this frame's stack pointer and its CFA:
	 * memory of the stack, if the information is right */
	span = cfa - *sp;
	ra_at = cfa + (uintptr_t)(intptr_t)r->ra_off;
	bp_at = (r->bp_at_bp ? *bp : cfa) + (uintptr_t)(intptr_t)r->bp_off;
	/* (the offsets from the CFA are at most -8: unwind_rule_from_fde) */
	if (span - 1 >= FRAME_MAX || (cfa & 7) || (uintptr_t)-(intptr_t)r->ra_off > span ||
	    (r->bp_saved && (bp_at < *sp || bp_at - *sp > span - 8)) || *sp < range->lo ||
	    !readable_to(range, cfa))
		return false;
	*pc = read_word(rec, ra_at);
	if (r->bp_saved) {
		*bp = *(const uintptr_t *)bp_at;
		if (rec) {
			rec->bp_at = bp_at; /* recorded if used */
			rec->bp_start = false;
		}
	}
	*sp = cfa;
	return true;
}

/* The step out of a signal handler (x86_64 Linux): it returns into the
 * kernel's sigreturn trampoline with the stack pointer at the ucontext_t
 * the kernel saved, whose registers are those of the interrupted code
 * (*pc then its current address, not a return address).  That code may
 * run on another stack (the handler on an alternate one): the readable
 * range starts again there. */
static bool signal_step(uintptr_t *pc, uintptr_t *sp, uintptr_t *bp, struct stack_range *range,
			struct recorder *rec)
{
	enum {
		AT_BP = offsetof(ucontext_t, uc_mcontext.gregs[REG_RBP]),
		AT_SP = offsetof(ucontext_t, uc_mcontext.gregs[REG_RSP]),
		AT_IP = offsetof(ucontext_t, uc_mcontext.gregs[REG_RIP]),
	};
	uintptr_t uc = *sp, to;

	if ((uc & 7) || uc < range->lo || !readable_to(range, uc + AT_IP + 8))
		return false;
	not_kept(rec);
	*pc = read_word(rec, uc + AT_IP);
	to = read_word(rec, uc + AT_SP);
	*bp = read_word(rec, uc + AT_BP);
	if (to < range->lo || to >= range->hi)
		range_start(range, to, false);
	*sp = to;
	return true;
}

/* Where a frame has no rule (code without unwind information, a CFA given
 * by a DWARF expression): the caller by the frame pointer chain, as
 * libunwind does, while it climbs the stack. */
static bool frame_pointer_step(uintptr_t *pc, uintptr_t *sp, uintptr_t *bp,
			       struct stack_range *range, struct recorder *rec)
{
	uintptr_t fp = *bp;

	/* the frame pointer decides whether the walk goes on: a key of the
	 * capture if it is kept (it ends here) */
	bp_used(rec);
	if (fp < *sp || fp - *sp >= FRAME_MAX || (fp & 7) || *sp < range->lo ||
	    !readable_to(range, fp + 16))
		return false;
	not_kept(rec);
	*pc = read_word(rec, fp + 8);
	*bp = read_word(rec, fp);
	*sp = fp + 16;
	return true;
}

/* Steps from the frame at (pc, sp, bp) (pc: its current address if
 * first, else the return address into it), storing return addresses; the
 * ones in [skip_lo, skip_hi) at the top are passed over.  At max, *cur
 * says where to go on; where the stack ends, or a frame cannot be followed
 * (its rule would read beyond the stack, no frame pointer chain goes on
 * from it), cur->pc is 0: the frames so far are all there is.  Every
 * stack word read goes to rec. */
static int walk(uintptr_t pc, uintptr_t sp, uintptr_t bp, bool first, void **ips, int max,
		uintptr_t skip_lo, uintptr_t skip_hi, struct unwind_cursor *cur,
		struct stack_range *range, struct recorder *rec)
{
	int n = 0;
	bool skipping = true;

	cur->pc = 0;
	cur->exact = false;
	while (n < max) {
		/* a return address is looked up one byte back: in its call */
		struct unwind_rule r = rule_for(first ? pc : pc - 1);

		first = false;
		if (r.kind == UNWIND_STEP) {
			if (!rule_step(&r, &pc, &sp, &bp, range, rec))
				return n;
		} else if (r.kind == UNWIND_SIGNAL) {
			if (!signal_step(&pc, &sp, &bp, range, rec))
				return n;
			first = true;
		} else if (r.kind == UNWIND_END ||
			   !frame_pointer_step(&pc, &sp, &bp, range, rec)) {
			return n;
		}
		if (pc == 0)
			return n;
		if (skipping && pc >= skip_lo && pc < skip_hi)
			continue;
		skipping = false;
		ips[n++] = (void *)pc;
	}
	/* the cursor's frame pointer is re-read at a replay, not compared:
	 * a resume that uses it records nothing anyway */
	if (rec) {
		rec->cur_bp_at = rec->bp_at;
		rec->cur_bp_start = rec->bp_start;
	}
	cur->pc = pc;
	cur->sp = sp;
	cur->bp = bp;
	cur->exact = first;
	return n;
}

/* The set of a capture starting at pc and sp; site: the program's call
 * site the capture will find first (0: not known, a resume's). */
static unsigned trace_set(uintptr_t pc, uintptr_t sp, uintptr_t site)
{
	return (unsigned)((((pc ^ sp) + site) * 0x9e3779b97f4a7c15ULL) >> 40) % TRACE_SETS *
	       TRACE_WAYS;
}

/* The word at addr of this thread's readable stack (a replay's offsets
 * are kept ones: not trusted to be aligned). */
static inline uintptr_t stack_word(uintptr_t addr)
{
	uintptr_t w;

	memcpy(&w, (const void *)addr, sizeof w);
	return w;
}

/* A replay of kept walk t (its seq q) that would read beyond the stack
 * this thread knows is readable (off from the start's sp): no replay now,
 * and the word noted, for replay_with_room to learn that much of the
 * stack and try again; only if t was not being written meanwhile (a torn
 * entry's offsets are not this thread's to follow), and the nearest of
 * the ways' (one far off does not make every way pay for it).  (A forked
 * child whose close is deeper than any of its parent's captures, or a
 * capture below the range a shallower one kept: without it, those walked
 * every time the range was short.)  The kept cursor and its frame pointer
 * never ask for more: a walk's last step read the return address just
 * below the cursor, which the offsets already cover. */
static int room_wanted(struct stack_range *range, uintptr_t off, const struct trace *t, uint32_t q)
{
	if (__atomic_load_n(&t->seq, __ATOMIC_ACQUIRE) == q && (range->want == 0 || off < range->want))
		range->want = off;
	return -1;
}

/* What a walk starts from and is asked for: the key of a kept one. */
struct walk_args {
	uintptr_t pc, sp, bp, skip_lo, skip_hi;
	int max;
	bool first;
};

/* The frames of kept walk t, if it started as a does and every word it
 * read is still there; -1 if not (with range->want set where a word lies
 * beyond the range known: room_wanted).  resume: a resume's walk (its
 * start's bp a key only if used, its readable range maybe not known yet);
 * inlined into each caller, the capture's path as lean as before. */
static inline __attribute__((always_inline)) int replay(struct trace *t, const struct walk_args *a,
							uint32_t gen, void **ips,
		  struct unwind_cursor *cur, struct stack_range *range, bool resume)
{
	uint32_t q = __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE);
	int32_t nreads, n;
	uintptr_t room;

	if ((q & 1) || __atomic_load_n(&t->pc, __ATOMIC_ACQUIRE) != a->pc ||
	    __atomic_load_n(&t->sp, __ATOMIC_ACQUIRE) != a->sp ||
	    ((!resume || __atomic_load_n(&t->bp_key, __ATOMIC_ACQUIRE)) &&
	     __atomic_load_n(&t->bp, __ATOMIC_ACQUIRE) != a->bp) ||
	    __atomic_load_n(&t->gen, __ATOMIC_ACQUIRE) != gen ||
	    __atomic_load_n(&t->max, __ATOMIC_ACQUIRE) != a->max ||
	    __atomic_load_n(&t->first, __ATOMIC_ACQUIRE) != (uint8_t)a->first ||
	    __atomic_load_n(&t->skip_lo, __ATOMIC_ACQUIRE) != a->skip_lo ||
	    __atomic_load_n(&t->skip_hi, __ATOMIC_ACQUIRE) != a->skip_hi)
		return -1;
	nreads = __atomic_load_n(&t->nreads, __ATOMIC_ACQUIRE);
	n = __atomic_load_n(&t->n, __ATOMIC_ACQUIRE);
	if (nreads > TRACE_READS || n < 0 || n > TRACE_IPS || n > a->max)
		return -1;
	/* whatever a torn copy says, no read leaves the readable stack (a
	 * resume's range may not be known yet: then nothing is replayed) */
	if (resume && range->hi < a->sp + sizeof(uintptr_t))
		return -1;
	room = range->hi - a->sp - sizeof(uintptr_t);
	/* first the program's frame at the call: its return address and the
	 * frame pointer it had (a program without frame pointers may keep a
	 * value there that changes at every call: then no replay, found at
	 * once) */
	for (int32_t d = __atomic_load_n(&t->disc, __ATOMIC_ACQUIRE), k = 0; k < 2; k++, d++) {
		uint32_t off;

		if (d < 0 || d >= nreads)
			break;
		off = __atomic_load_n(&t->off[d], __ATOMIC_ACQUIRE);
		if (off > room)
			return room_wanted(range, off, t, q);
		if (stack_word(a->sp + off) != __atomic_load_n(&t->val[d], __ATOMIC_ACQUIRE))
			return -1;
	}
	for (int32_t i = 0; i < nreads; i++) {
		uint32_t off = __atomic_load_n(&t->off[i], __ATOMIC_ACQUIRE);

		if (off > room)
			return room_wanted(range, off, t, q);
		if (stack_word(a->sp + off) != __atomic_load_n(&t->val[i], __ATOMIC_ACQUIRE))
			return -1;
	}
	for (int32_t i = 0; i < n; i++)
		ips[i] = __atomic_load_n(&t->ips[i], __ATOMIC_ACQUIRE);
	cur->pc = __atomic_load_n(&t->cur_pc, __ATOMIC_ACQUIRE);
	cur->sp = __atomic_load_n(&t->cur_sp, __ATOMIC_ACQUIRE);
	cur->bp = __atomic_load_n(&t->cur_bp, __ATOMIC_ACQUIRE);
	/* (true only where the walk took no step: one through a signal's
	 * frame is never kept) */
	cur->exact = __atomic_load_n(&t->cur_exact, __ATOMIC_ACQUIRE) != 0;
	/* A walk that went on leaves its cursor at its last frame, above every
	 * word it read and within the readable stack: anything else (the
	 * shared table may hold what another process wrote) is not used, so
	 * that a resume never starts elsewhere. */
	if (cur->pc != 0 &&
	    (cur->pc != (n > 0 ? (uintptr_t)ips[n - 1] : a->pc) || cur->sp < a->sp ||
	     cur->sp - a->sp > room + sizeof(uintptr_t)))
		return -1;
	{
		int32_t off = __atomic_load_n(&t->cur_bp_off, __ATOMIC_ACQUIRE);

		if (off == -2)
			cur->bp = a->bp;
		else if (off >= 0) {
			if ((uint32_t)off > room)
				return -1;
			cur->bp = stack_word(a->sp + (uint32_t)off);
		}
	}
	return __atomic_load_n(&t->seq, __ATOMIC_ACQUIRE) == q ? n : -1;
}

/* Takes a way of set to record the walk a in; NULL if it is being
 * written. */
static struct trace *trace_take(struct trace *set, const struct walk_args *a, uint32_t gen)
{
	/* an empty way, else one in turn (captures of different call paths
	 * often start at the same stack pointer: a forking server's parent
	 * and its child close from the same depth) */
	static unsigned turn;
	struct trace *t = NULL;
	uint32_t seq;

	for (int w = 0; w < TRACE_WAYS && !t; w++)
		if (!(__atomic_load_n(&set[w].seq, __ATOMIC_RELAXED) & 1) &&
		    __atomic_load_n(&set[w].sp, __ATOMIC_RELAXED) == 0)
			t = &set[w];
	if (!t)
		t = &set[__atomic_fetch_add(&turn, 1, __ATOMIC_RELAXED) % TRACE_WAYS];
	seq = __atomic_load_n(&t->seq, __ATOMIC_RELAXED);
	if ((seq & 1) || !__atomic_compare_exchange_n(&t->seq, &seq, seq + 1, false,
						      __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return NULL;
	__atomic_store_n(&t->pc, a->pc, __ATOMIC_RELEASE);
	__atomic_store_n(&t->sp, a->sp, __ATOMIC_RELEASE);
	__atomic_store_n(&t->bp, a->bp, __ATOMIC_RELEASE);
	__atomic_store_n(&t->gen, gen, __ATOMIC_RELEASE);
	__atomic_store_n(&t->max, a->max, __ATOMIC_RELEASE);
	__atomic_store_n(&t->first, (uint8_t)a->first, __ATOMIC_RELEASE);
	__atomic_store_n(&t->skip_lo, a->skip_lo, __ATOMIC_RELEASE);
	__atomic_store_n(&t->skip_hi, a->skip_hi, __ATOMIC_RELEASE);
	__atomic_store_n(&t->nreads, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&t->disc, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&t->bp_key, (uint8_t)a->first, __ATOMIC_RELEASE);
	t->full = 0;
	return t;
}

static void tree_publish(const struct trace *t, unsigned set);

/* Ends the recording in t of a walk that gave ips[n] and cur (n < 0: it
 * failed, nothing is kept); one that can be, is also copied to the tree's
 * table, of the same set. */
static void trace_keep(struct trace *t, const void *const *ips, int n,
		       const struct unwind_cursor *cur, const struct recorder *rec, unsigned set)
{
	uint32_t seq = __atomic_load_n(&t->seq, __ATOMIC_RELAXED);
	uintptr_t bp_off = rec->cur_bp_at ? rec->cur_bp_at - rec->sp : 0;

	if (n < 0 || n > TRACE_IPS || t->full || bp_off > INT32_MAX) {
		__atomic_store_n(&t->sp, 0, __ATOMIC_RELEASE); /* matches no start */
	} else {
		for (int i = 0; i < n; i++)
			__atomic_store_n(&t->ips[i], (void *)ips[i], __ATOMIC_RELEASE);
		__atomic_store_n(&t->cur_pc, cur->pc, __ATOMIC_RELEASE);
		__atomic_store_n(&t->cur_sp, cur->sp, __ATOMIC_RELEASE);
		__atomic_store_n(&t->cur_bp, cur->bp, __ATOMIC_RELEASE);
		__atomic_store_n(&t->cur_exact, (uint8_t)cur->exact, __ATOMIC_RELEASE);
		__atomic_store_n(&t->cur_bp_off,
				 rec->cur_bp_at ? (int32_t)bp_off : rec->cur_bp_start ? -2 : -1,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&t->n, n, __ATOMIC_RELEASE);
		/* (t is still this writer's alone: its seq is odd) */
		tree_publish(t, set);
	}
	__atomic_store_n(&t->seq, seq + 1, __ATOMIC_RELEASE);
}

/* After t was kept: of the other ways of set that hold the same start and
 * the same call site (they differ further on, in a word that may change
 * from call to call: a program without frame pointers keeps a value in
 * that register), one is kept (a site may alternate between two such
 * values) and the rest let go, so that one call site never fills a set. */
static void trace_forget_alike(struct trace *set, const struct trace *t)
{
	/* (t is published: another thread may be taking it already; what is
	 * read here is only ever used to let an entry go) */
	int32_t d = __atomic_load_n(&t->disc, __ATOMIC_RELAXED);
	uintptr_t sp = __atomic_load_n(&t->sp, __ATOMIC_RELAXED);
	uintptr_t pc = __atomic_load_n(&t->pc, __ATOMIC_RELAXED);
	uintptr_t ret;
	bool one_kept = false;

	if (sp == 0 || d < 0 || d >= TRACE_READS)
		return;
	ret = __atomic_load_n(&t->val[d], __ATOMIC_RELAXED);
	for (int w = 0; w < TRACE_WAYS; w++) {
		struct trace *o = &set[w];
		uint32_t seq = __atomic_load_n(&o->seq, __ATOMIC_RELAXED);

		if (o == t || (seq & 1) || __atomic_load_n(&o->sp, __ATOMIC_RELAXED) != sp ||
		    __atomic_load_n(&o->pc, __ATOMIC_RELAXED) != pc ||
		    __atomic_load_n(&o->disc, __ATOMIC_RELAXED) != d ||
		    __atomic_load_n(&o->val[d], __ATOMIC_RELAXED) != ret)
			continue;
		if (!one_kept) {
			one_kept = true;
			continue;
		}
		if (!__atomic_compare_exchange_n(&o->seq, &seq, seq + 1, false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&o->sp, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&o->seq, seq + 2, __ATOMIC_RELEASE);
	}
}

/* A copy of kept capture t (this writer's, being kept in this process's
 * set) in the tree's set, if every frame it followed lies in a module
 * never unloaded: its start (a resume's starts in the program) and each
 * frame it found.  Nothing if that way is being written. */
static void tree_publish(const struct trace *t, unsigned set)
{
	struct trace *tree = __atomic_load_n(&tree_traces, __ATOMIC_ACQUIRE), *s;
	int32_t n = __atomic_load_n(&t->n, __ATOMIC_RELAXED);
	int32_t nreads = __atomic_load_n(&t->nreads, __ATOMIC_RELAXED);
	void *start = (void *)__atomic_load_n(&t->pc, __ATOMIC_RELAXED);
	bool (*permanent)(void *const *, int) = __atomic_load_n(&tree_permanent, __ATOMIC_ACQUIRE);
	struct walk_args a;

	if (!tree || !permanent || n <= 0 || nreads > TRACE_READS || !permanent(&start, 1) ||
	    !permanent(t->ips, n))
		return;
	a = (struct walk_args){
		.pc = (uintptr_t)start,
		.sp = __atomic_load_n(&t->sp, __ATOMIC_RELAXED),
		.bp = __atomic_load_n(&t->bp, __ATOMIC_RELAXED),
		.skip_lo = __atomic_load_n(&t->skip_lo, __ATOMIC_RELAXED),
		.skip_hi = __atomic_load_n(&t->skip_hi, __ATOMIC_RELAXED),
		.max = __atomic_load_n(&t->max, __ATOMIC_RELAXED),
		.first = __atomic_load_n(&t->first, __ATOMIC_RELAXED) != 0,
	};
	s = trace_take(&tree[set], &a, 0);
	if (!s)
		return;
	for (int32_t i = 0; i < nreads; i++) {
		__atomic_store_n(&s->off[i], __atomic_load_n(&t->off[i], __ATOMIC_RELAXED),
				 __ATOMIC_RELEASE);
		__atomic_store_n(&s->val[i], __atomic_load_n(&t->val[i], __ATOMIC_RELAXED),
				 __ATOMIC_RELEASE);
	}
	for (int32_t i = 0; i < n; i++)
		__atomic_store_n(&s->ips[i], __atomic_load_n(&t->ips[i], __ATOMIC_RELAXED),
				 __ATOMIC_RELEASE);
	__atomic_store_n(&s->nreads, nreads, __ATOMIC_RELEASE);
	__atomic_store_n(&s->disc, __atomic_load_n(&t->disc, __ATOMIC_RELAXED), __ATOMIC_RELEASE);
	__atomic_store_n(&s->bp_key, __atomic_load_n(&t->bp_key, __ATOMIC_RELAXED),
			 __ATOMIC_RELEASE);
	__atomic_store_n(&s->cur_pc, __atomic_load_n(&t->cur_pc, __ATOMIC_RELAXED), __ATOMIC_RELEASE);
	__atomic_store_n(&s->cur_sp, __atomic_load_n(&t->cur_sp, __ATOMIC_RELAXED), __ATOMIC_RELEASE);
	__atomic_store_n(&s->cur_bp, __atomic_load_n(&t->cur_bp, __ATOMIC_RELAXED), __ATOMIC_RELEASE);
	__atomic_store_n(&s->cur_exact, __atomic_load_n(&t->cur_exact, __ATOMIC_RELAXED),
			 __ATOMIC_RELEASE);
	__atomic_store_n(&s->cur_bp_off, __atomic_load_n(&t->cur_bp_off, __ATOMIC_RELAXED),
			 __ATOMIC_RELEASE);
	__atomic_store_n(&s->n, n, __ATOMIC_RELEASE);
	__atomic_store_n(&s->seq, __atomic_load_n(&s->seq, __ATOMIC_RELAXED) + 1, __ATOMIC_RELEASE);
	trace_forget_alike(&tree[set], s);
}

/* The frames of a kept capture that started as a does: the tree's first
 * (a forking server's children share theirs), then this process's. */
static inline __attribute__((always_inline)) int replay_kept(unsigned set,
							     const struct walk_args *a,
							     uint32_t gen, void **ips,
							     struct unwind_cursor *cur,
							     struct stack_range *range,
							     bool resume)
{
	struct trace *tree = __atomic_load_n(&tree_traces, __ATOMIC_ACQUIRE);
	int n;

	if (tree)
		for (int w = 0; w < TRACE_WAYS; w++)
			if ((n = replay(&tree[set + w], a, 0, ips, cur, range, resume)) >= 0)
				return n;
	for (int w = 0; w < TRACE_WAYS; w++)
		if ((n = replay(&kept_traces[set + w], a, gen, ips, cur, range, resume)) >= 0)
			return n;
	return -1;
}

/* replay_kept again, once the stack it wanted (range->want) is known to
 * be readable: the range grows a page at a time, each asked of the
 * kernel, as a walk's does, and is kept.  A replay stops at the first
 * word beyond the range, so this may take a few rounds (each one reaches
 * at least a page further: at most TRACE_READS + 1 rounds, and the range
 * at most FRAME_MAX, as a walk's).  Off the common path:
 * only where a kept capture matched but read beyond the range this thread
 * knew.  A forked child can take it at each of its first closes: it
 * replays what the fork tree's first child kept, over a range as far as
 * its parent's own walks grew it, which depends on where the stack's pages
 * begin (a forking server run with an environment 129 bytes longer took
 * it in every child: fork_child_code_together failed in `make check`'s
 * environment, with this and readable_to outside the child's group). */
SHIM_FORK_TEXT __attribute__((noinline)) static int replay_with_room(unsigned set, const struct walk_args *a,
						      uint32_t gen, void **ips,
						      struct unwind_cursor *cur,
						      struct stack_range *range, bool resume)
{
	int n = -1;

	for (int round = 0; round <= TRACE_READS && range->want; round++) {
		uintptr_t want = range->want;

		range->want = 0;
		if (range->hi < a->sp + sizeof(uintptr_t) || want > FRAME_MAX ||
		    !readable_to(range, a->sp + want + sizeof(uintptr_t)))
			return -1;
		range_keep(range);
		if ((n = replay_kept(set, a, gen, ips, cur, range, resume)) >= 0)
			return n;
	}
	return n;
}

/* The frames of a kept capture that started as a does: replay_kept, and
 * again with more of the stack known where that is what it lacked. */
static inline __attribute__((always_inline)) int replay_any(unsigned set,
							    const struct walk_args *a,
							    uint32_t gen, void **ips,
							    struct unwind_cursor *cur,
							    struct stack_range *range,
							    bool resume)
{
	int n = replay_kept(set, a, gen, ips, cur, range, resume);

	return n >= 0 || !range->want ? n : replay_with_room(set, a, gen, ips, cur, range, resume);
}

void unwind_share_across_fork(bool (*permanent)(void *const *ips, int n))
{
	void *self = (void *)(uintptr_t)unwind_share_across_fork;
	struct trace *none = NULL;
	void *m;

	/* (where not even the shim's own code is known never to be unloaded,
	 * nothing could ever be kept there) */
	if (__atomic_load_n(&tree_traces, __ATOMIC_ACQUIRE) || !permanent || !permanent(&self, 1))
		return;
	m = mmap(NULL, sizeof kept_traces, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	if (m == MAP_FAILED)
		return;
	__atomic_store_n(&tree_permanent, permanent, __ATOMIC_RELEASE);
	if (!__atomic_compare_exchange_n(&tree_traces, &none, (struct trace *)m, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		munmap(m, sizeof kept_traces); /* another thread's fork made it */
}

/* The return address of the first frame out of the shim that a capture
 * from a will find (0: not known), read as capture() reads it: the set
 * of a capture is chosen by it too.  Every capture starts at the same pc
 * (unwind_capture's), and a server's call paths often at the same depth
 * (dnsmasq's child closes five descriptors from one depth): keyed by pc
 * and sp alone they all fell in one set of TRACE_WAYS, where each child's
 * captures pushed out the others', and every forked child walked one to
 * three of its five closes cold (a walk, and the rule cache's pages
 * written: copy-on-write faults) instead of replaying the tree's. */
static uintptr_t call_site_of(const struct walk_args *a, struct stack_range *range)
{
#ifdef SHIM_FRAME_POINTERS
	uintptr_t site = 0, hi = range->hi;

	if (a->skip_lo < a->skip_hi && a->pc >= a->skip_lo && a->pc < a->skip_hi) {
		uintptr_t fp = a->bp;

		for (int k = 0; k < 64 && fp > a->sp && fp - a->sp < FRAME_MAX && !(fp & 7) &&
				readable_to(range, fp + 16);
		     k++) {
			uintptr_t ret = stack_word(fp + 8), up;

			if (ret < a->skip_lo || ret >= a->skip_hi) {
				site = ret;
				break;
			}
			up = stack_word(fp);
			if (up <= fp)
				break;
			fp = up;
		}
	}
	/* What the kernel was asked is kept, as a walk's is: a replay that
	 * needs no more returns without keeping the range, and every capture
	 * on a stack other than the one last kept asked again
	 * (regress_replay_keeps_readable_range). */
	if (range->hi != hi)
		range_keep(range);
	return site;
#else
	(void)a;
	(void)range;
	return 0;
#endif
}

/* The capture from unwind_capture's own frame a (the shim's frames, then
 * the program's), every stack word it reads going to rec. */
static int capture(const struct walk_args *a, void **ips, struct unwind_cursor *cur,
		   struct stack_range *range, struct recorder *rec)
{
#ifdef SHIM_FRAME_POINTERS
	/* The shim keeps frame pointers: its own frames are passed by their
	 * chain, to the program's frame that called it (the return address
	 * out of the shim, the stack pointer and frame pointer it had). */
	if (a->skip_lo < a->skip_hi && a->pc >= a->skip_lo && a->pc < a->skip_hi) {
		uintptr_t fp = a->bp;

		for (int k = 0; k < 64 && fp > a->sp && fp - a->sp < FRAME_MAX && !(fp & 7) &&
				readable_to(range, fp + 16);
		     k++) {
			uintptr_t ret = read_word(rec, fp + 8), up;
			int n;

			if (ret < a->skip_lo || ret >= a->skip_hi) {
				if (rec->t)
					__atomic_store_n(&rec->t->disc,
							 __atomic_load_n(&rec->t->nreads, __ATOMIC_RELAXED) - 1,
							 __ATOMIC_RELAXED);
				if (ret == 0 || a->max <= 0)
					return 0;
				ips[0] = (void *)ret;
				/* the program's frame pointer: recorded if used */
				up = *(const uintptr_t *)fp;
				rec->bp_at = fp;
				n = walk(ret, fp + 16, up, false, ips + 1, a->max - 1, 0, 0, cur, range,
					 rec);
				return n < 0 ? -1 : n + 1;
			}
			up = read_word(rec, fp);
			if (up <= fp)
				break;
			fp = up;
		}
	}
#endif
	return walk(a->pc, a->sp, a->bp, true, ips, a->max, a->skip_lo, a->skip_hi, cur, range, rec);
}

/* A capture, replayed from a kept one that started in the same place
 * where the stack still holds the same words, else made and kept.  (The
 * shim's own frames are replayed too: this starts in unwind_capture's
 * frame, where every capture of a call path starts at the same depth.) */
SHIM_FORK_TEXT __attribute__((noinline)) int unwind_capture(void **ips, int max, uintptr_t skip_lo,
					    uintptr_t skip_hi, struct unwind_cursor *cur,
					    uintptr_t site)
{
	struct walk_args a = {.max = max, .skip_lo = skip_lo, .skip_hi = skip_hi, .first = true};
	uint32_t gen = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
	struct stack_range range;
	struct recorder rec;
	unsigned set;
	int n;

	__asm__ volatile("lea 0(%%rip), %0\n\t"
			 "mov %%rsp, %1\n\t"
			 "mov %%rbp, %2"
			 : "=r"(a.pc), "=r"(a.sp), "=r"(a.bp));
	range_start(&range, a.sp, true);
	set = trace_set(a.pc, a.sp, site ? site : call_site_of(&a, &range));
	if ((n = replay_any(set, &a, gen, ips, cur, &range, false)) >= 0)
		return n;
	cur->pc = 0;
	cur->exact = false;
	rec.sp = a.sp;
	rec.bp_at = 0;
	rec.cur_bp_at = 0;
	rec.bp_start = rec.cur_bp_start = false;
	rec.t = trace_take(&kept_traces[set], &a, gen);
	n = capture(&a, ips, cur, &range, &rec);
	if (rec.t) {
		trace_keep(rec.t, (const void *const *)ips, n, cur, &rec, set);
		trace_forget_alike(&kept_traces[set], rec.t);
	}
	range_keep(&range);
	return n;
}

/* Deeper, from where a capture stopped: replayed like a capture, keyed by
 * where it starts (the cursor).  The cursor's frame pointer is a key only
 * if the walk used it: code without frame pointers keeps other values in
 * that register, which would keep its walks from ever being replayed. */
int unwind_resume(struct unwind_cursor *cur, void **ips, int max)
{
	struct walk_args a = {
		.pc = cur->pc, .sp = cur->sp, .bp = cur->bp, .max = max, .first = cur->exact};
	uint32_t gen = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
	struct stack_range range;
	struct recorder rec;
	unsigned set;
	int n;

	if (cur->pc == 0)
		return 0;
	range_start(&range, cur->sp, false);
	set = trace_set(a.pc, a.sp, 0); /* (its start is the program's already) */
	if ((n = replay_any(set, &a, gen, ips, cur, &range, true)) >= 0)
		return n;
	rec.sp = a.sp;
	rec.bp_at = 0;
	rec.cur_bp_at = 0;
	rec.bp_start = true;
	rec.cur_bp_start = false;
	rec.t = trace_take(&kept_traces[set], &a, gen);
	n = walk(a.pc, a.sp, a.bp, a.first, ips, max, 0, 0, cur, &range, &rec);
	if (rec.t) {
		trace_keep(rec.t, (const void *const *)ips, n, cur, &rec, set);
		trace_forget_alike(&kept_traces[set], rec.t);
	}
	range_keep(&range);
	return n;
}

#else /* other architectures: libunwind does it all */

SHIM_FORK_TEXT int unwind_capture(void **ips, int max, uintptr_t skip_lo, uintptr_t skip_hi,
		   struct unwind_cursor *cur, uintptr_t site)
{
	(void)site;
	(void)ips;
	(void)max;
	(void)skip_lo;
	(void)skip_hi;
	cur->pc = 0;
	return -1;
}

int unwind_resume(struct unwind_cursor *cur, void **ips, int max)
{
	(void)cur;
	(void)ips;
	(void)max;
	return -1;
}

void unwind_invalidate(void)
{
}

void unwind_share_across_fork(bool (*permanent)(void *const *ips, int n))
{
	(void)permanent;
}

#endif
