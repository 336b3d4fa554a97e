/* Backtraces from outside: a thread stopped in a trapped call is unwound
 * from the stack pointer and program counter that /proc/TID/syscall gives,
 * with libdw (CFI from .eh_frame and .debug_frame: C, C++ and Go alike),
 * reading the program's memory with process_vm_readv.  Nothing is done
 * inside the program and it is not ptrace'd (a debugger can still attach).
 *
 * Only rsp and rip are known; a frame whose CFI needs another register
 * (rbp in code built with frame pointers, -O0) gets it from a guess: the
 * slot below the first return address (a code address right after a call
 * instruction) above the stub's own.  A
 * frame that unwinds to an address in no module ends the backtrace; a
 * wrong guess can still add frames that were never called (outer frames
 * of -O0 code only: CFI-described code never reads the guess). */
#define _GNU_SOURCE
#include "supervisor.h"

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <dwarf.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

struct sv_unwind {
	Dwfl *dwfl;
	int refs;	/* processes sharing it: a parent and its forked children */
	pid_t pid;	/* the process being unwound now */
	uint64_t lo, hi; /* the span of all modules: a quick "not code" */
	bool attached;
	bool compat; /* a 32-bit x86 program: 4-byte words, i386's registers */
	/* the thread being unwound now */
	pid_t tid;
	uint64_t sp, pc, bp;
	bool have_bp;
	/* return addresses in no module that reading the module list again
	 * did not place (the end of a stack, garbage): not read for again */
	uint64_t unplaced[16];
	unsigned n_unplaced;
	int64_t reread_ms; /* when the last such reading was (0: none) */
	/* names of frames by address: dwfl_module_addrinfo scans the symbol
	 * table, too much for every trapped call of a loop */
	struct named {
		uint64_t ip;
		struct event_frame f;
	} names[1024];
	/* what precedes return addresses (code does not change): 0 no call,
	 * 1 an indirect call, 2 a call rel32 to target */
	struct callsite {
		uint64_t ret, target;
		uint64_t got;	/* a PLT entry's target: its GOT slot (0: none) */
		uint64_t bound; /* what that slot held once bound (0: not yet) */
		int kind;
	} calls[1024];
	/* the start of the function an address is in (0: unknown), by
	 * address: dwfl_module_addrinfo scans the symbol table (a static Go
	 * program's has tens of thousands), and every unwind that is not
	 * replayed asks it for the trapped call's caller */
	struct function {
		uint64_t ip, start;
	} functions[1024];
	/* Go modules' .gopclntab (names where the symbol table is stripped),
	 * read at a module's first frame without a symbol or without call
	 * frame information (Go's own frames are unwound with it) */
	struct go_table {
		Dwfl_Module *m;
		struct sv_gopcln t;
	} go[16];
	unsigned n_go;
	/* whether an address has call frame information (CFI_*), by address */
	struct cfi_known {
		uint64_t ip;
		int kind;
	} cfi[256];
	/* its stack, read once per unwind */
	uint64_t stack_lo;
	size_t stack_len;
	unsigned char stack[8192];
	/* unwinds kept, with the stack words each read (replay.c) */
	struct sv_replay *replay;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static bool in_code(struct sv_unwind *u, uint64_t addr);

/* The word at off in the copy of the stack (off + 8 <= stack_len), as an
 * unwind's read: what a replay of it must find there again.  scanned: a
 * word the frame pointer's guess scans past unless it is a code address
 * (a frame's locals, which change from call to call, need only stay no
 * code address: in_code, the walk's own test, not the modules' span,
 * which holds a Go program's heap and goroutine stacks, 0xc000000000, and
 * kept every pointer among its locals as it was: the server's close of
 * the Go churn missed its replay at every call, a full walk of libdw
 * each time). */
static uint64_t stack_word(struct sv_unwind *u, size_t off, bool scanned)
{
	uint64_t w = 0;

	memcpy(&w, u->stack + off, u->compat ? 4 : 8);
	if (u->replay)
		sv_replay_read(u->replay, off, w, scanned && !in_code(u, w));
	return w;
}

static bool read_word(struct sv_unwind *u, uint64_t addr, uint64_t *out)
{
	struct iovec local, remote;
	size_t size = u->compat ? 4 : 8;

	/* (no sum that can wrap: a frame pointer guessed from a word that
	 * held -8 asked for 0xfffffffffffffff8, whose addr + 8 is 0, and the
	 * copy was read 2^64 bytes off: the supervisor died of SIGSEGV, and
	 * the program with it, regress_supervise_wrapping_frame_pointer) */
	if (addr >= u->stack_lo && u->stack_len >= size && addr - u->stack_lo <= u->stack_len - size) {
		*out = stack_word(u, addr - u->stack_lo, false);
		return true;
	}
	/* memory that the next unwind could find changed, unseen */
	if (u->replay)
		sv_replay_unknowable(u->replay);
	*out = 0; /* (a 32-bit word: its upper half stays 0, little-endian) */
	local.iov_base = out;
	local.iov_len = size;
	remote.iov_base = (void *)(uintptr_t)addr;
	remote.iov_len = size;
	return process_vm_readv(u->pid, &local, 1, &remote, 1, 0) == (ssize_t)size;
}

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct sv_unwind *u = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = u;
	return u->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	struct sv_unwind *u = arg;

	(void)dwfl;
	*thread_argp = u;
	return tid == u->tid;
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	uint64_t w;

	(void)dwfl;
	if (!read_word(arg, addr, &w))
		return false;
	*result = w;
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct sv_unwind *u = arg;
	Dwarf_Word sp = u->sp, bp = u->bp;

	/* DWARF numbers on x86_64: 6 rbp, 7 rsp; on i386: 5 ebp, 4 esp */
	if (u->have_bp && !dwfl_thread_state_registers(thread, u->compat ? 5 : 6, 1, &bp))
		return false;
	if (!dwfl_thread_state_registers(thread, u->compat ? 4 : 7, 1, &sp))
		return false;
	dwfl_thread_state_register_pc(thread, u->pc);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static int span_of(Dwfl_Module *m, void **userdata, const char *name, Dwarf_Addr start,
		   void *arg)
{
	struct sv_unwind *u = arg;
	Dwarf_Addr lo, hi;

	(void)userdata;
	(void)name;
	(void)start;
	dwfl_module_info(m, NULL, &lo, &hi, NULL, NULL, NULL, NULL);
	if (!u->lo || lo < u->lo)
		u->lo = lo;
	if (hi > u->hi)
		u->hi = hi;
	return DWARF_CB_OK;
}

static bool report(struct sv_unwind *u)
{
	/* The module list is read again: what was learned of the old one
	 * goes (its code may be another's now). */
	memset(u->names, 0, sizeof u->names);
	memset(u->calls, 0, sizeof u->calls);
	memset(u->functions, 0, sizeof u->functions);
	memset(u->cfi, 0, sizeof u->cfi);
	memset(u->go, 0, sizeof u->go);
	u->n_go = 0;
	if (u->replay)
		sv_replay_forget(u->replay);
	dwfl_report_begin(u->dwfl);
	if (dwfl_linux_proc_report(u->dwfl, u->pid) != 0) {
		dwfl_report_end(u->dwfl, NULL, NULL);
		return false;
	}
	if (dwfl_report_end(u->dwfl, NULL, NULL) != 0)
		return false;
	u->lo = u->hi = 0;
	dwfl_getmodules(u->dwfl, span_of, u, 0);
	return true;
}

static struct sv_unwind *unwinder(struct sv_proc *p, bool compat)
{
	struct sv_unwind *u = p->uw;

	if (u) {
		u->pid = p->pid; /* shared with a parent or a child */
		return u;
	}
	u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	u->pid = p->pid;
	u->refs = 1;
	u->compat = compat; /* (an exec, which may change it, ends the unwinder) */
	u->dwfl = dwfl_begin(&callbacks);
	if (!u->dwfl || !report(u)) {
		if (u->dwfl)
			dwfl_end(u->dwfl);
		free(u);
		return NULL;
	}
	u->attached = dwfl_attach_state(u->dwfl, NULL, u->pid, &thread_callbacks, u);
	/* (none: every unwind walks; a 32-bit program's always, the kept
	 * unwinds being of 8-byte words) */
	u->replay = compat ? NULL : sv_replay_new();
	p->uw = u;
	return u;
}

struct sv_unwind *sv_unwind_share(struct sv_unwind *u)
{
	u->refs++;
	return u;
}

void sv_unwind_free(struct sv_unwind *u)
{
	if (!u || --u->refs > 0)
		return;
	dwfl_end(u->dwfl);
	free(u->replay);
	free(u);
}

static bool in_code(struct sv_unwind *u, uint64_t addr)
{
	return addr > 4096 && addr >= u->lo && addr < u->hi &&
	       dwfl_addrmodule(u->dwfl, addr) != NULL;
}

/* in_code, as a replay asks it of a word that had to be no code */
static bool replay_in_code(void *u, uint64_t addr)
{
	return in_code(u, addr);
}

static bool read_code(struct sv_unwind *u, uint64_t addr, void *b, size_t size)
{
	struct iovec local = {b, size};
	struct iovec remote = {(void *)(uintptr_t)addr, size};

	return process_vm_readv(u->pid, &local, 1, &remote, 1, 0) == (ssize_t)size;
}

/* The GOT slot that a PLT entry at target jumps through (jmp
 * *disp32(%rip), after an endbr64 and a bnd prefix where there are:
 * .plt.sec's and -z now's .plt.got's); 0 if target is no such entry. */
static uint64_t plt_got(struct sv_unwind *u, uint64_t target)
{
	unsigned char b[11];
	size_t at = 0;
	int32_t rel;

	if (!read_code(u, target, b, sizeof b))
		return 0;
	if (b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa)
		at = 4;
	if (b[at] == 0xf2)
		at++;
	if (b[at] != 0xff || b[at + 1] != 0x25)
		return 0;
	memcpy(&rel, b + at + 2, 4);
	return target + at + 6 + (uint64_t)(int64_t)rel;
}

/* What precedes return address ret, decoded once (code does not change):
 * 0 no call, 1 an indirect call (call *%reg, call *disp8(%reg), call
 * *disp32(%rip)), whose target cannot be told, 2 a call rel32. */
static struct callsite *callsite_of(struct sv_unwind *u, uint64_t ret)
{
	struct callsite *c = &u->calls[(ret * 0x9e3779b97f4a7c15ULL) >> 54];
	unsigned char b[8];

	if (c->ret == ret)
		return c;
	c->ret = ret;
	c->kind = 0;
	c->got = 0;
	c->bound = 0;
	if (read_code(u, ret - 8, b, sizeof b)) {
		if (b[3] == 0xe8) {
			int32_t rel;

			memcpy(&rel, b + 4, 4);
			c->kind = 2;
			c->target = ret + (uint64_t)(int64_t)rel;
			c->got = plt_got(u, c->target);
		} else if ((b[6] == 0xff && (b[7] & 0xf8) == 0xd0) ||
			   (b[5] == 0xff && (b[6] & 0xf8) == 0x50) || (b[2] == 0xff && b[3] == 0x15)) {
			c->kind = 1;
		}
	}
	return c;
}

/* The function a call rel32 reaches: its target, or, where that is a PLT
 * entry, what the entry's GOT slot holds: read as it is now, and kept once
 * bound (a lazily bound slot points back into the PLT, next to the entry:
 * read again; each read is a system call, and a stale return address
 * after a call through the PLT is looked at by every walk that passes it,
 * the review of e4a57cd: 32 reads a walk, twice the time a close). */
static uint64_t reached(struct sv_unwind *u, struct callsite *c)
{
	uint64_t bound = 0;

	if (!c->got)
		return c->target;
	if (c->bound)
		return c->bound;
	if (!read_code(u, c->got, &bound, sizeof bound))
		return c->target;
	if (bound - c->target + 0x10000 > 0x20000)
		c->bound = bound;
	return bound;
}

/* Whether ret is a return address into a call of the function at callee
 * (0: unknown): after a call rel32 to it or to a PLT entry bound to it
 * (the function is running: bound), or after an indirect call.  A stale
 * code pointer among a frame's locals, or the return address of a call
 * long returned, fails the check.  (Without the PLT's, a function of a
 * library called from another module failed it where it was the caller:
 * main() missing from under a -O0 library's close,
 * regress_supervise_stale_return_address.) */
static bool calls_into(struct sv_unwind *u, uint64_t ret, uint64_t callee)
{
	struct callsite *c = callsite_of(u, ret);

	return c->kind == 1 ||
	       (c->kind == 2 && (!callee || c->target == callee || reached(u, c) == callee));
}

/* The start of the function that ip is in (0: unknown). */
static uint64_t function_of(struct sv_unwind *u, uint64_t ip)
{
	struct function *f = &u->functions[(ip * 0x9e3779b97f4a7c15ULL) >> 54];
	Dwfl_Module *m;
	GElf_Off off = 0;
	GElf_Sym sym;

	if (f->ip == ip && ip)
		return f->start;
	m = dwfl_addrmodule(u->dwfl, ip);
	f->ip = ip;
	f->start = m && dwfl_module_addrinfo(m, ip, &off, &sym, NULL, NULL, NULL) ? ip - off : 0;
	return f->start;
}

/* The guess found nothing in the copy of the stack.  Where the copy is
 * shorter than asked (the stack's readable end), more stack above the same
 * sp another time could give a guess: that unwind is not kept. */
static bool ran_out(struct sv_unwind *u)
{
	if (u->replay && u->stack_len < sizeof u->stack)
		sv_replay_unknowable(u->replay);
	return false;
}

/* How the canonical frame address of the frame that return address ret
 * goes back to is found, where it is a register plus an offset (DWARF's
 * numbers: 7 rsp, 6 rbp): from .eh_frame only (.debug_frame costs a
 * reading of the separate debug file, cfi_of). */
static bool cfa_rule(struct sv_unwind *u, uint64_t ret, unsigned *reg, int64_t *off)
{
	Dwfl_Module *m = dwfl_addrmodule(u->dwfl, ret);
	Dwarf_Addr bias = 0;
	Dwarf_CFI *cfi;
	Dwarf_Frame *f;
	Dwarf_Op *ops;
	size_t nops;
	bool ok = false;

	/* (ret - 1: the call, the last byte of which may end its function) */
	if (!m || !(cfi = dwfl_module_eh_cfi(m, &bias)) ||
	    dwarf_cfi_addrframe(cfi, ret - 1 - bias, &f) != 0)
		return false;
	if (dwarf_frame_cfa(f, &ops, &nops) == 0 && nops == 1) {
		if (ops[0].atom == DW_OP_bregx) {
			*reg = (unsigned)ops[0].number;
			*off = (int64_t)ops[0].number2;
			ok = true;
		} else if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
			*reg = ops[0].atom - DW_OP_breg0;
			*off = (int64_t)ops[0].number;
			ok = true;
		}
	}
	free(f);
	return ok;
}

/* Whether the function at fn jumps to g in its first 256 bytes: a tail call
 * (B entered by a jmp from X, which A called: A's return address is after
 * a call of X). */
static bool tail_jumps_to(struct sv_unwind *u, uint64_t fn, uint64_t g)
{
	unsigned char b[256];
	struct iovec local = {b, sizeof b};
	struct iovec remote = {(void *)(uintptr_t)fn, sizeof b};
	/* (a read stops at the end of the mapping: what was read) */
	ssize_t n = process_vm_readv(u->pid, &local, 1, &remote, 1, 0);

	for (ssize_t i = 0; i + 2 <= n; i++) {
		int32_t rel;

		/* jmp rel8 (a function next to g), jmp rel32 */
		if (b[i] == 0xeb && fn + (uint64_t)i + 2 + (uint64_t)(int64_t)(int8_t)b[i + 1] == g)
			return true;
		if (b[i] != 0xe9 || i + 5 > n)
			continue;
		memcpy(&rel, b + i + 1, 4);
		if (fn + (uint64_t)i + 5 + (uint64_t)(int64_t)rel == g)
			return true;
	}
	return false;
}

/* What the frame that a candidate's return address goes back to says of
 * its own return address, found from the candidate's slot by its call
 * frame information (rsp: right above the return address; rbp: the saved
 * rbp in the slot): UP_CALLS, after a call that can reach that frame's
 * function; UP_UNTOLD, nothing can be told (no such rule, a word beyond
 * the copy, a return address after no call this decodes: a signal
 * frame's, an indirect call of a form not decoded); UP_ELSEWHERE, after a
 * direct call of another function (and none that jumps to this one); UP_NONE,
 * no code at all. */
enum { UP_CALLS, UP_UNTOLD, UP_ELSEWHERE, UP_NONE };

static int returns_on(struct sv_unwind *u, size_t off, uint64_t ret)
{
	unsigned reg;
	int64_t delta;
	uint64_t cfa, up, g, x;
	struct callsite *c;

	if (!cfa_rule(u, ret, &reg, &delta))
		return UP_UNTOLD;
	if (reg == 7)
		cfa = u->stack_lo + off + 16 + (uint64_t)delta;
	else if (reg == 6)
		cfa = stack_word(u, off, false) + (uint64_t)delta;
	else
		return UP_UNTOLD;
	/* (no sum that can wrap: regress_supervise_wrapping_frame_pointer) */
	if (cfa < u->stack_lo + 8 || cfa - 8 - u->stack_lo > u->stack_len - 8) {
		ran_out(u); /* (more stack another time: not kept) */
		return UP_UNTOLD;
	}
	up = stack_word(u, cfa - 8 - u->stack_lo, false);
	if (!in_code(u, up))
		return UP_NONE;
	c = callsite_of(u, up);
	/* (ret - 1: a call that ends its function, as before a noreturn
	 * function, returns to the first byte of the next one) */
	g = function_of(u, ret - 1);
	if (c->kind != 2 || !g)
		return c->kind == 1 ? UP_CALLS : UP_UNTOLD;
	x = reached(u, c);
	return c->target == g || x == g || tail_jumps_to(u, x, g) ? UP_CALLS : UP_ELSEWHERE;
}

/* Candidates looked at past the first (each reads call frame information) */
#define BP_CANDIDATES 4

/* The frame pointer that function fn (0: unknown) has if it keeps one,
 * guessed: the slot below a return address at or above offset from of
 * the copy of the stack that returns from a call of fn (its saved rbp,
 * next to its return address).  Of the first few such slots, the lowest
 * whose caller's frame does not contradict it (returns_on: a stale return
 * address among fn's unwritten locals makes a chain that most often ends
 * in no code, or in a direct call of another function: curl's first
 * close, regress_supervise_stale_return_address); else the lowest
 * contradicted only by a direct call of another function (a tail call
 * can do that); else the lowest. */
static bool bp_of(struct sv_unwind *u, size_t from, uint64_t fn, uint64_t *bp)
{
	size_t first = 0, elsewhere = 0;
	bool any = false, any_elsewhere = false;
	int seen = 0;

	for (size_t off = from; off + 16 <= u->stack_len && seen <= BP_CANDIDATES; off += 8) {
		uint64_t ret = stack_word(u, off + 8, true);
		int says;

		if (!in_code(u, ret) || !calls_into(u, ret, fn))
			continue;
		says = returns_on(u, off, ret);
		if (says == UP_CALLS || says == UP_UNTOLD) {
			*bp = u->stack_lo + off;
			return true;
		}
		if (says == UP_ELSEWHERE && !any_elsewhere) {
			elsewhere = off;
			any_elsewhere = true;
		}
		if (!any)
			first = off;
		any = true;
		seen++;
	}
	if (seen <= BP_CANDIDATES)
		ran_out(u); /* (a candidate beyond a short copy another time) */
	if (any) {
		*bp = u->stack_lo + (any_elsewhere ? elsewhere : first);
		return true;
	}
	return false;
}

/* The frame pointer of the caller of the trapped call's stub, guessed:
 * the slot below the lowest return address above the stub's that returns
 * from a call of that caller (its saved rbp, next to its return address).
 * Only used by frames whose CFI asks for rbp. */
static bool guess_bp(struct sv_unwind *u, uint64_t *bp)
{
	size_t start = 0;
	uint64_t first = 0, caller;

	/* The stub's own return address (the first code address on the
	 * stack): what lies below it is the stub's, not its caller's frame. */
	for (; start + 8 <= u->stack_len; start += 8) {
		first = stack_word(u, start, true);
		if (in_code(u, first))
			break;
	}
	if (start + 8 > u->stack_len)
		return ran_out(u);
	caller = function_of(u, first);
	return bp_of(u, start + 8, caller, bp);
}

enum { CFI_UNKNOWN, CFI_HAS, CFI_NONE_IN_MODULE, CFI_NONE_HERE };

static bool cfi_covers(Dwarf_CFI *cfi, Dwarf_Addr bias, uint64_t ip)
{
	Dwarf_Frame *f;

	if (!cfi || dwarf_cfi_addrframe(cfi, ip - bias, &f) != 0)
		return false;
	free(f);
	return true;
}

/* What call frame information ip has: some (CFI_HAS), none in a module
 * that has none at all (a stripped Go binary, whose frames libdw follows by
 * their frame pointers), or none where its module has some elsewhere
 * (CFI_NONE_HERE: musl's libc in a static program, built without unwind
 * tables, in a binary whose own code has them). */
static int cfi_of(struct sv_unwind *u, uint64_t ip)
{
	struct cfi_known *k = &u->cfi[(ip * 0x9e3779b97f4a7c15ULL) >> 56];
	Dwfl_Module *m;
	Dwarf_Addr eh_bias = 0, dw_bias = 0;
	Dwarf_CFI *eh, *dw;

	if (k->ip == ip && ip)
		return k->kind;
	m = dwfl_addrmodule(u->dwfl, ip);
	if (!m)
		return CFI_UNKNOWN;
	k->ip = ip;
	eh = dwfl_module_eh_cfi(m, &eh_bias);
	if (cfi_covers(eh, eh_bias, ip))
		return k->kind = CFI_HAS;
	/* .debug_frame only where .eh_frame has none: libdw looks for it in
	 * the separate debug file (libc6-dbg's, compressed), whose reading
	 * cost each supervised program ~90 ms at its first backtrace */
	dw = dwfl_module_dwarf_cfi(m, &dw_bias);
	k->kind = cfi_covers(dw, dw_bias, ip) ? CFI_HAS
		  : eh || dw			? CFI_NONE_HERE
						: CFI_NONE_IN_MODULE;
	return k->kind;
}

/* Frames at the top of the stack that have no call frame information where
 * their module has some (the trapped call's stub and its callers in musl's
 * libc), passed by the first return address above each in the copy of the
 * stack that follows a call instruction; their addresses into ips (at most
 * max), how many; *sp and *pc: the first frame that has it, where libdw
 * starts.  (x86_64's call instructions and 8-byte slots.) */
static int scan_past_no_cfi(struct sv_unwind *u, uint64_t *sp, uint64_t *pc, uint64_t *ips,
			    int max)
{
	int n = 0;

	while (n < max - 1 && n < 8 && *sp >= u->stack_lo && cfi_of(u, *pc) == CFI_NONE_HERE) {
		size_t off = *sp - u->stack_lo;
		uint64_t w = 0, self = function_of(u, *pc);

		/* (not one into the function being left: what its own earlier
		 * calls left in its frame; a call of another function is
		 * taken, the frame's own maybe having been a tail call's) */
		for (; off + 8 <= u->stack_len; off += 8) {
			w = stack_word(u, off, true);
			if (in_code(u, w) && calls_into(u, w, 0) && (!self || function_of(u, w) != self))
				break;
		}
		if (off + 8 > u->stack_len) {
			ran_out(u);
			break;
		}
		ips[n++] = *pc;
		*pc = w;
		*sp = u->stack_lo + off + 8;
	}
	return n;
}

static const struct sv_gopcln *go_table(struct sv_unwind *u, Dwfl_Module *m, Elf *elf);

/* Whether ip is in a Go function that has no call frame information (a
 * Go binary without DWARF, -ldflags="-s -w": Go writes no .eh_frame);
 * its table and function then into *t and *f, and *bias. */
static bool go_frame(struct sv_unwind *u, uint64_t ip, const struct sv_gopcln **t,
		     struct sv_gofunc *f, Dwarf_Addr *bias)
{
	Dwfl_Module *m;
	Elf *elf;

	if (cfi_of(u, ip) == CFI_HAS || !(m = dwfl_addrmodule(u->dwfl, ip)) ||
	    !(elf = dwfl_module_getelf(m, bias)) || !(*t = go_table(u, m, elf)))
		return false;
	return sv_gopcln_func(*t, ip - *bias, f);
}

/* name, or its assembly's (name.abi0) */
static bool go_named(const char *fn, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(fn, name, n) && (!fn[n] || !strcmp(fn + n, ".abi0"));
}

struct collect {
	struct sv_unwind *u;
	uint64_t *ips;
	int n, max;
	uint64_t unknown; /* the first frame's address in no module known (0: none) */
	/* libdw's walk reached a Go frame without CFI at (go_sp, go_pc):
	 * not taken, left to go_steps (0: none) */
	uint64_t go_sp, go_pc;
};

/* Go frames from (*sp, *pc) into c, as Go's runtime unwinds them
 * (runtime/traceback.go): the return address is pcsp's delta above the
 * stack pointer, the caller's stack pointer a word above it.  True: the
 * walk goes on from *sp and *pc, a frame of no Go function (C code a cgo
 * program's Go called, with CFI); false: the backtrace ends. */
static bool go_steps(struct sv_unwind *u, uint64_t *sp, uint64_t *pc, struct collect *c)
{
	uint64_t word = u->compat ? 4 : 8;

	while (c->n < c->max) {
		const struct sv_gopcln *t;
		struct sv_gofunc f;
		Dwarf_Addr bias = 0;
		int32_t delta;
		uint64_t ret;

		if (!go_frame(u, *pc, &t, &f, &bias))
			return cfi_of(u, *pc) == CFI_HAS;
		c->ips[c->n++] = *pc;
		/* The stack's outermost frames (a goroutine's, a thread's), and
		 * those that switch stacks (systemstack, mcall, morestack, the
		 * flag's: an assembly function that writes sp): the runtime's
		 * own traceback stops there, or follows the switch by what the
		 * goroutine's g holds, which is not seen from here. */
		if ((f.flag & (SV_GOFUNC_TOPFRAME | SV_GOFUNC_SPWRITE)) ||
		    go_named(f.name, "runtime.goexit") || go_named(f.name, "runtime.mstart") ||
		    go_named(f.name, "runtime.rt0_go") || go_named(f.name, "runtime.systemstack") ||
		    go_named(f.name, "runtime.mcall") || go_named(f.name, "runtime.morestack"))
			return false;
		if (!sv_gopcln_spdelta(t, &f, *pc - bias, &delta) || delta < 0 ||
		    delta > (1 << 24) || !read_word(u, *sp + (uint64_t)delta, &ret))
			return false;
		if (!in_code(u, ret)) {
			c->unknown = ret;
			return false;
		}
		*sp += (uint64_t)delta + word; /* (at most 2^24 + 8 up: no wrap
						* of a user address) */
		*pc = ret;
	}
	return false;
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct collect *c = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation))
		return DWARF_CB_ABORT;
	if (c->n > 0 && !in_code(c->u, pc)) {
		c->unknown = pc;
		return DWARF_CB_ABORT;
	}
	/* a Go frame that has no CFI (C returning into Go in a cgo program
	 * built -s -w): what libdw would do by frame pointers, the Go walk
	 * does by the runtime's table, from this frame's sp */
	if (c->n > 0) {
		const struct sv_gopcln *t;
		struct sv_gofunc f;
		Dwarf_Addr bias;
		Dwarf_Word sp;

		if (go_frame(c->u, pc, &t, &f, &bias)) {
			if (dwfl_frame_reg(state, c->u->compat ? 4 : 7, &sp) == 0) {
				c->go_sp = sp;
				c->go_pc = pc;
			}
			return DWARF_CB_ABORT;
		}
	}
	c->ips[c->n++] = pc;
	return c->n < c->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* Copies len bytes of the stack from u->stack_lo into u->stack; how many
 * could be read. */
static size_t read_stack(struct sv_unwind *u, size_t len)
{
	struct iovec local = {u->stack, len};
	struct iovec remote = {(void *)(uintptr_t)u->stack_lo, len};
	ssize_t got = process_vm_readv(u->pid, &local, 1, &remote, 1, 0);

	return got > 0 ? (size_t)got : 0;
}

/* The frames from sp and pc into c: a Go function's without call frame
 * information by .gopclntab (go_steps); others, those without call frame
 * information first (scan_past_no_cfi), then libdw's walk from the first
 * that has it, with the frame pointer guessed for it; each in turn where
 * the other's frames end in its kind (a cgo program's Go and C).  (Both
 * guesses read x86_64's call instructions and 8-byte slots: none for a
 * 32-bit program.) */
static void walk(struct sv_unwind *u, pid_t tid, uint64_t sp, uint64_t pc, struct collect *c)
{
	int pre;
	struct collect rest;
	const struct sv_gopcln *t;
	struct sv_gofunc f;
	Dwarf_Addr bias;
	bool first;

	c->n = 0;
	c->unknown = 0;
	for (int leg = 0; leg < 8 && c->n < c->max; leg++) {
		if (go_frame(u, pc, &t, &f, &bias) && !go_steps(u, &sp, &pc, c))
			return;
		if (c->n >= c->max)
			return;
		/* (the trapped call's own frame: first) */
		first = c->n == 0;
		u->sp = sp;
		u->pc = pc;
		pre = u->compat || !first ? 0 : scan_past_no_cfi(u, &u->sp, &u->pc, c->ips, c->max);
		rest = (struct collect){u, c->ips + c->n + pre, 0, c->max - c->n - pre, 0, 0, 0};
		/* (past frames without CFI, or Go's: the frame pointer of the
		 * first frame that has it, not the stub's caller's) */
		if (u->compat)
			u->have_bp = false;
		else if (pre > 0 || !first)
			u->have_bp = bp_of(u, u->sp - u->stack_lo, function_of(u, u->pc), &u->bp);
		else
			u->have_bp = guess_bp(u, &u->bp);
		dwfl_getthread_frames(u->dwfl, tid, frame_cb, &rest);
		c->n += pre + rest.n;
		c->unknown = rest.unknown;
		/* on in Go, from a stack pointer further up only */
		if (!rest.go_pc || rest.go_sp <= sp)
			return;
		sp = rest.go_sp;
		pc = rest.go_pc;
	}
}

/* Whether a return address that no module held is in one after the
 * module list is read again (PLACED); each address that is not, once only
 * (UNPLACED); NOT_ASKED: the list was read too recently to read it again,
 * and the walk that stopped there is not to be kept (a replay of it would
 * never ask again: a plugin loaded 10 ms after another reading had all 20
 * of its backtraces cut, the review of 493d4f3). */
enum { PLACED, UNPLACED, NOT_ASKED };

static int place_after_report(struct sv_unwind *u, uint64_t ip)
{
	struct timespec now;
	int64_t ms;

	for (unsigned i = 0; i < sizeof u->unplaced / sizeof u->unplaced[0]; i++)
		if (u->unplaced[i] == ip)
			return UNPLACED;
	/* at most one reading in 100 ms: a walk that ends in a word that
	 * changes from call to call (garbage past the last frame) would
	 * otherwise read /proc at every trapped call */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (u->reread_ms && ms - u->reread_ms < 100)
		return NOT_ASKED;
	u->reread_ms = ms;
	if (ip > 4096 && report(u) && dwfl_addrmodule(u->dwfl, ip))
		return PLACED;
	u->unplaced[u->n_unplaced++ % (sizeof u->unplaced / sizeof u->unplaced[0])] = ip;
	return UNPLACED;
}

/* How long /proc/TID/syscall is read again while it says "running" (the
 * supervisor handles one call at a time: every other trapped call waits
 * meanwhile; as sv_after_settle's). */
#define RUNNING_NS 200000

/* /proc/TID/syscall says "running" while the thread, its notification sent
 * (which woke the supervisor), has not yet gone to sleep on the answer:
 * the kernel reads only a thread off the CPU.  Read again then, a moment
 * later, while the call still waits.  Taken as it came, 1 trapped call in
 * 10,000 to 40,000 had no frames: a close record without its backtrace, a
 * later double_close without its first_backtrace (the Go churn, at
 * events=all, 2 to 7 of 40,001 close records;
 * tests/unit/test_supervisor_stopped.c).  "-1 sp pc" (a thread in no
 * system call: gone from it, or exited, "-1 0x0 0x0") is no trapped call. */
bool sv_stopped_at(ssize_t (*read)(void *arg, char *buf, size_t size), bool (*pending)(void *arg),
		   void *arg, uint64_t *sp, uint64_t *pc)
{
	char buf[256];
	ssize_t n;
	char *s, *end_a, *end_b;
	unsigned long long a, b;
	struct timespec t0, t;

	for (int tries = 0;; tries++) {
		n = read(arg, buf, sizeof buf - 1);
		if (n <= 0)
			return false;
		buf[n] = '\0';
		if (strncmp(buf, "running", 7) != 0)
			break;
		if (tries == 0)
			clock_gettime(CLOCK_MONOTONIC, &t0);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) > RUNNING_NS ||
		    !pending(arg))
			return false;
		sched_yield();
	}
	if (buf[0] == '-')
		return false;
	/* "nr a1 a2 a3 a4 a5 a6 sp pc" */
	s = strrchr(buf, ' ');
	if (!s)
		return false;
	*s = '\0';
	s = strrchr(buf, ' ');
	if (!s)
		return false;
	a = strtoull(s + 1, &end_a, 16);
	b = strtoull(s + strlen(s) + 1, &end_b, 16);
	if (end_a == s + 1 || *end_a != '\0' || end_b == s + strlen(s) + 1 ||
	    (*end_b != '\0' && *end_b != '\n'))
		return false;
	*sp = a;
	*pc = b;
	return true;
}

int sv_unwind(struct sv_proc *p, pid_t tid, uint64_t sp, uint64_t pc, uint64_t *ips, int max,
	      bool compat)
{
	struct sv_unwind *u = unwinder(p, compat);
	struct collect c = {u, ips, 0, max};
	size_t want;
	int placed = UNPLACED;

	if (max <= 0)
		return 0;
	if (!u || !u->attached) {
		ips[0] = pc;
		return 1;
	}
	if (!dwfl_addrmodule(u->dwfl, pc))
		report(u); /* a module loaded since (dlopen) */
	u->tid = tid;
	u->stack_lo = sp;
	/* A kept unwind from here: only the words it read, then its frames
	 * if they are all still there. */
	if (u->replay && (want = sv_replay_span(u->replay, sp, pc, max)) > 0 &&
	    want <= sizeof u->stack && read_stack(u, want) == want) {
		int n = sv_replay_find(u->replay, sp, pc, max, u->stack, want, replay_in_code,
					 u, ips);

		u->stack_len = want;
		if (n > 0)
			return n;
	}
	/* The stack above sp, at most 8 KiB, in one read (a read stops at
	 * the first unmapped page: what was read is kept). */
	u->stack_len = read_stack(u, sizeof u->stack);
	if (u->replay)
		sv_replay_begin(u->replay, sp, pc, max);
	walk(u, tid, sp, pc, &c);
	if (c.unknown)
		placed = place_after_report(u, c.unknown);
	if (placed == PLACED) {
		/* a module mapped since the list was read (the libc a 32-bit
		 * program's loader maps after its first closes: every later
		 * call traps in the vDSO, known all along; a plugin dlopen'd
		 * by a library that was): the walk again */
		c.n = 0;
		c.unknown = 0;
		if (u->replay)
			sv_replay_begin(u->replay, sp, pc, max);
		walk(u, tid, sp, pc, &c);
	}
	if (c.n == 0)
		ips[c.n++] = pc;
	else if (u->replay && placed != NOT_ASKED)
		sv_replay_keep(u->replay, ips, c.n);
	return c.n;
}

/* Module m's .gopclntab (its ELF elf), read once; NULL if it has none. */
static const struct sv_gopcln *go_table(struct sv_unwind *u, Dwfl_Module *m, Elf *elf)
{
	struct go_table *g;
	Elf_Scn *scn = NULL;
	Elf_Data *pcln = NULL;
	uint64_t text = 0;
	size_t shstrndx;

	for (unsigned i = 0; i < u->n_go && i < sizeof u->go / sizeof u->go[0]; i++)
		if (u->go[i].m == m)
			return u->go[i].t.ok ? &u->go[i].t : NULL;
	g = &u->go[u->n_go++ % (sizeof u->go / sizeof u->go[0])];
	memset(g, 0, sizeof *g);
	g->m = m;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			continue;
		if (!strcmp(name, ".gopclntab") && sh.sh_type != SHT_NOBITS)
			pcln = elf_getdata(scn, NULL);
		else if (!strcmp(name, ".text"))
			text = sh.sh_addr;
	}
	if (!pcln || !sv_gopcln_open(&g->t, pcln->d_buf, pcln->d_size, text))
		return NULL;
	return &g->t;
}

static void name_one(struct sv_unwind *u, uint64_t ip, struct event_frame *f)
{
	Dwfl_Module *m = dwfl_addrmodule(u->dwfl, ip);
	const char *name = NULL, *mainfile = NULL, *s;
	const struct sv_gopcln *go;
	Dwarf_Addr bias = 0;
	GElf_Off off = 0;
	GElf_Sym sym;
	uint64_t start;
	Elf *elf;

	memset(f, 0, sizeof *f);
	f->ip = ip;
	if (!m)
		return;
	name = dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, &mainfile, NULL);
	if (!(elf = dwfl_module_getelf(m, &bias)))
		return;
	f->module = name ? name : mainfile; /* the path in the maps */
	f->offset = ip - bias;
	/* The function is the one before ip: a return address after a call
	 * to a function that does not return (exit, abort) is the first byte
	 * of the next function; the trapped call's own pc is just after its
	 * syscall instruction.  The offset stays ip's. */
	s = dwfl_module_addrinfo(m, ip - 1, &off, &sym, NULL, NULL, NULL);
	if (s) {
		f->symbol = s;
		f->symbol_off = off + 1;
	} else if ((go = go_table(u, m, elf)) && (s = sv_gopcln_name(go, ip - 1 - bias, &start))) {
		/* a Go binary without its symbol table (-ldflags="-s -w") */
		f->symbol = s;
		f->symbol_off = ip - bias - start;
	}
}

void sv_unwind_name(struct sv_proc *p, const uint64_t *ips, int n, struct event_frame *out)
{
	struct sv_unwind *u = p->uw; /* (the unwind's, which made ips) */

	if (u)
		u->pid = p->pid; /* (shared with a parent or a child) */

	for (int i = 0; i < n; i++) {
		struct named *c;

		if (!u) {
			memset(&out[i], 0, sizeof out[i]);
			out[i].ip = ips[i];
			continue;
		}
		c = &u->names[(ips[i] * 0x9e3779b97f4a7c15ULL) >> 54];
		if (c->ip != ips[i] || !ips[i]) {
			name_one(u, ips[i], &c->f);
			/* a frame in no module is looked up again next time (a
			 * module loaded later) */
			c->ip = c->f.module ? ips[i] : 0;
		}
		out[i] = c->f;
	}
}
