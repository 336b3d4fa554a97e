/* SOCKSHIM_RAW=seccomp: the socket calls a Go program makes without libc.
 *
 * Go's net package enters the kernel through one stub,
 * runtime/internal/syscall.Syscall6, whose SYSCALL instruction sits at a
 * fixed address that is the same in every program built by the same Go
 * version.  A seccomp filter that trapped that address would, since filters
 * survive execve, kill any static Go child exec'd later (its stub at the
 * same address, and no handler of the shim's to catch the trap).
 *
 * So the stub's "mov; syscall" (5 bytes) is replaced by a jump to a copy of
 * itself in a page of the shim's, mapped at a random address within reach
 * of a 32-bit jump, and the filter traps only that page's SYSCALL, and only
 * for the calls a configured feature needs.  No other image has code there.
 * The SIGSYS handler runs the call through the shim's own entry points
 * (which end in libc, outside the filter), on the signal stack Go gives
 * every thread, and puts the result in the saved registers.
 *
 * The handler stays first: the program's SIGSYS handler (Go installs one
 * through libc's sigaction) is kept aside by the sigaction wrapper
 * (signal_calls.c) and called for every SIGSYS that is not the shim's. */
#define _GNU_SOURCE
#include "raw.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "call.h"
#include "config.h"
#include "event.h"
#include "gobinary.h"
#include "libc.h"
#include "linger.h"
#include "proc.h"
#include "sockshim.h"
#include "sys.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

static bool active;
static struct sigaction kept; /* the program's own SIGSYS action */
#if defined(__x86_64__)
static uintptr_t site_after; /* where a trapped call returns to in Go's stub */
static uintptr_t site;	   /* the 5 bytes replaced in Go's stub */
static uintptr_t trap_ip;  /* the address after the trampoline's SYSCALL */

/* Names of the stub across Go versions. */
static const char *const stub_names[] = {
	"runtime/internal/syscall.Syscall6",	    /* 1.19 .. 1.22 */
	"internal/runtime/syscall.Syscall6",	    /* 1.23 */
	"internal/runtime/syscall/linux.Syscall6", /* later */
};
#endif

bool raw_active(void)
{
	return active;
}

static void report(const char *name, enum log_severity sev, const char *why)
{
	struct event ev = EVENT_INIT(name, sev);

	ev.reason = why;
	ev.backtrace = false;
	ev.unlimited = true;
	if (event_wanted(&shim_cfg, EVENTS_ERRORS))
		event_emit(&ev);
}

int raw_keep_sigaction(const struct sigaction *act, struct sigaction *old)
{
	struct sigaction prev = kept;

	if (act)
		kept = *act;
	if (old)
		*old = prev;
	return 0;
}

/* The trap, the trampoline and the handler read and write x86_64
 * instructions and registers: elsewhere (the i386 build) raw mode is
 * refused with a raw_mode record that says so. */
#if defined(__x86_64__)
/* The SYSCALL of the stub, preceded by a 3-byte register move ("mov
 * %rbx,%rdi"), the pair that is moved out; 0 if the stub is not laid out so. */
static uintptr_t find_site(uintptr_t addr, size_t size)
{
	const unsigned char *p = (const unsigned char *)addr;
	uintptr_t found = 0;

	for (size_t i = 3; i + 1 < size; i++) {
		if (p[i] != 0x0f || p[i + 1] != 0x05)
			continue;
		if ((p[i - 3] & 0xf8) != 0x48 || (p[i - 2] != 0x89 && p[i - 2] != 0x8b) ||
		    p[i - 1] < 0xc0 || found)
			return 0; /* not a plain register move, or more than one */
		found = addr + i - 3;
	}
	return found;
}

/* A page within 32-bit jump range of site, at a random distance (64 MiB
 * to 1 GiB above it, page-aligned), holding: the moved instruction, the
 * SYSCALL, and a jump back. */
static uintptr_t make_trampoline(void)
{
	unsigned char code[16];
	uint32_t r;
	int32_t back;

	for (int tries = 0; tries < 16; tries++) {
		uintptr_t hint;
		unsigned char *page;

		if (getrandom(&r, sizeof r, 0) != sizeof r)
			r = (uint32_t)(uintptr_t)&r ^ (uint32_t)getpid();
		hint = (site & ~(uintptr_t)0xfff) + ((uintptr_t)(r % (240u << 10)) + (16u << 10)) * 4096;
		page = mmap((void *)hint, 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (page == MAP_FAILED)
			continue;
		if ((uintptr_t)page != hint) {
			munmap(page, 4096);
			continue;
		}
		memcpy(code, (const void *)site, 5); /* mov; syscall */
		back = (int32_t)((intptr_t)(site + 5) - (intptr_t)(hint + 10));
		code[5] = 0xe9; /* jmp rel32, back after the original SYSCALL */
		memcpy(code + 6, &back, 4);
		memset(page, 0xcc, 4096); /* int3 everywhere else */
		memcpy(page, code, 10);
		if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0) {
			munmap(page, 4096);
			return 0;
		}
		return hint;
	}
	return 0;
}

/* BPF builders: jumps are given absolute targets (instruction indexes). */
static void stmt(struct sock_filter *f, int *k, uint16_t code, uint32_t val)
{
	f[*k] = (struct sock_filter)BPF_STMT(code, val);
	++*k;
}

static void jump(struct sock_filter *f, int *k, uint32_t val, int if_true, int if_false)
{
	f[*k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, val,
					     (uint8_t)(if_true - *k - 1), (uint8_t)(if_false - *k - 1));
	++*k;
}

/* The filter: the calls of nrs[n], made from trap_ip, trap; and
 * rt_sigaction(SIGSYS) from there too (Go's child between fork and exec
 * resets its signal handlers with it: the shim's must stay). */
static int install_filter(const int *nrs, int n)
{
	struct sock_filter f[64];
	struct sock_fprog prog = {.filter = f};
	const uint16_t load = BPF_LD | BPF_W | BPF_ABS;
	int k = 0;
	/* 7 loads and checks (arch, ip low, ip high, nr), the n numbers, the
	 * rt_sigaction check (3), then allow and trap */
	const int allow = 7 + n + 3, trap = allow + 1;

	stmt(f, &k, load, offsetof(struct seccomp_data, arch));
	jump(f, &k, AUDIT_ARCH_X86_64, k + 1, allow);
	stmt(f, &k, load, offsetof(struct seccomp_data, instruction_pointer));
	jump(f, &k, (uint32_t)trap_ip, k + 1, allow);
	stmt(f, &k, load, offsetof(struct seccomp_data, instruction_pointer) + 4);
	jump(f, &k, (uint32_t)(trap_ip >> 32), k + 1, allow);
	stmt(f, &k, load, offsetof(struct seccomp_data, nr));
	for (int i = 0; i < n; i++)
		jump(f, &k, (uint32_t)nrs[i], trap, k + 1);
	jump(f, &k, SYS_rt_sigaction, k + 1, allow);
	stmt(f, &k, load, offsetof(struct seccomp_data, args[0]));
	jump(f, &k, SIGSYS, trap, allow);
	stmt(f, &k, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	stmt(f, &k, BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	prog.len = (unsigned short)k;
	/* (not through syscall(): the program's own filter is what that
	 * watches, sandbox_calls.c) */
	return (int)SYS6(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog, 0,
			 0, 0);
}

/* Runs the trapped call through the shim; returns what the kernel would:
 * the result, or -errno. */
static long emulate(long nr, const greg_t *g)
{
	long a0 = g[REG_RDI], a1 = g[REG_RSI], a2 = g[REG_RDX], a3 = g[REG_R10], a4 = g[REG_R8];
	long r;

	switch (nr) {
	case SYS_close: r = close((int)a0); break;
	case SYS_socket: r = socket((int)a0, (int)a1, (int)a2); break;
	case SYS_accept: r = accept((int)a0, (struct sockaddr *)a1, (socklen_t *)a2); break;
	case SYS_accept4:
		r = accept4((int)a0, (struct sockaddr *)a1, (socklen_t *)a2, (int)a3);
		break;
	case SYS_setsockopt:
		r = setsockopt((int)a0, (int)a1, (int)a2, (const void *)a3, (socklen_t)a4);
		break;
	case SYS_shutdown: r = shutdown((int)a0, (int)a1); break;
	case SYS_rt_sigaction:
		/* Go's forked child resetting SIGSYS: the shim's handler stays;
		 * the old action reads as the default. */
		if (a2)
			memset((void *)a2, 0, sizeof(void *) * 3 + (size_t)(a3 > 0 ? a3 : 0));
		return 0;
	default: r = libc_syscall(nr, a0, a1, a2, a3, a4, g[REG_R9]); break;
	}
	return r < 0 ? -errno : r;
}

static void pass_on(int sig, siginfo_t *si, void *uc)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};

	if (kept.sa_flags & SA_SIGINFO) {
		if (kept.sa_sigaction)
			kept.sa_sigaction(sig, si, uc);
	} else if (kept.sa_handler == SIG_IGN) {
		return;
	} else if (kept.sa_handler == SIG_DFL) {
		/* what SIGSYS does by default: end the process */
		libc_sigaction(SIGSYS, &dfl, NULL);
		raise(SIGSYS);
	} else {
		kept.sa_handler(sig);
	}
}

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct call_trap_regs regs;
	int saved;

	if (si->si_code != SYS_SECCOMP || (uintptr_t)si->si_call_addr != trap_ip) {
		pass_on(sig, si, ucv);
		return;
	}
	/* Go's fork-and-exec child (clone with CLONE_VM|CLONE_VFORK) runs on
	 * the parent's memory: its calls must not touch the shim's state, which
	 * is the parent's.  They run as they are. */
	if (sys_getpid() != proc_owner_pid && si->si_syscall != SYS_rt_sigaction) {
		g[REG_RAX] = sys_raw6(si->si_syscall, g[REG_RDI], g[REG_RSI], g[REG_RDX],
				      g[REG_R10], g[REG_R8], g[REG_R9]);
		return;
	}
	saved = errno;
	regs.ip = site_after;
	regs.sp = (uintptr_t)g[REG_RSP];
	regs.bp = (uintptr_t)g[REG_RBP];
	call_set_trap_regs(&regs);
	g[REG_RAX] = emulate(si->si_syscall, g);
	call_set_trap_regs(NULL);
	errno = saved;
}

void raw_init(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO | SA_ONSTACK};
	uintptr_t addr = 0;
	size_t size = 0;
	const char *why = NULL;
	unsigned char jump[5];
	int32_t rel;
	int nrs[8], n = 0;
	bool no_new_privs = false;
	char text[256];
	uintptr_t page;

	/* Not a Go program: its socket calls go through libc, where the shim
	 * sees them anyway (SOCKSHIM_RAW is inherited by every process the Go
	 * program starts: a shell or a C program has nothing to say about it). */
	if (!gobinary_is_go())
		return;
	for (size_t i = 0; i < sizeof stub_names / sizeof stub_names[0] && !addr; i++)
		gobinary_symbol(stub_names[i], &addr, &size, &why);
	if (!addr) {
		report(SHIM_EV_RAW_MODE, LOG_SEV_ERROR, why);
		return;
	}
	site = find_site(addr, size);
	if (!site) {
		report(SHIM_EV_RAW_MODE, LOG_SEV_ERROR,
		       "refused: Go's system-call stub is not laid out as this sockshim knows");
		return;
	}
	page = make_trampoline();
	if (!page) {
		report(SHIM_EV_RAW_MODE, LOG_SEV_ERROR, "refused: no room near the program's code");
		return;
	}
	trap_ip = page + 5;

	/* Only what a configured feature needs: every trap costs a signal. */
	nrs[n++] = SYS_close;
	nrs[n++] = SYS_socket;
	nrs[n++] = SYS_accept;
	nrs[n++] = SYS_accept4;
	if (shim_cfg.reuseaddr || shim_cfg.reuseport || event_wanted(&shim_cfg, EVENTS_ALL))
		nrs[n++] = SYS_setsockopt;
	if (event_wanted(&shim_cfg, EVENTS_ERRORS))
		nrs[n++] = SYS_shutdown;

	/* The handler first, then the filter, then the jump: nothing traps
	 * before there is something to catch it. */
	sigfillset(&sa.sa_mask);
	libc_sigaction(SIGSYS, NULL, &kept);
	libc_sigaction(SIGSYS, &sa, NULL);
	why = NULL;
	if (install_filter(nrs, n) != 0) {
		/* Without CAP_SYS_ADMIN the kernel wants no_new_privs first:
		 * from now on no child of this process gains privileges by
		 * exec (setuid programs run with the caller's). */
		if (errno == EACCES && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
		    install_filter(nrs, n) == 0)
			no_new_privs = true;
		else
			why = "refused: the kernel did not accept the seccomp filter";
	}
	if (why) {
		libc_sigaction(SIGSYS, &kept, NULL);
		munmap((void *)page, 4096);
		report(SHIM_EV_RAW_MODE, LOG_SEV_ERROR, why);
		return;
	}
	rel = (int32_t)((intptr_t)page - (intptr_t)(site + 5));
	jump[0] = 0xe9;
	memcpy(jump + 1, &rel, 4);
	{
		uintptr_t start = site & ~(uintptr_t)0xfff, end = (site + 5 + 0xfff) & ~(uintptr_t)0xfff;

		/* Single-threaded still (constructors run before Go starts). */
		if (mprotect((void *)start, end - start, PROT_READ | PROT_WRITE) != 0) {
			report(SHIM_EV_RAW_MODE, LOG_SEV_ERROR,
			       "refused: cannot write the program's code (a hardened kernel?)");
			return;
		}
		memcpy((void *)site, jump, 5);
		mprotect((void *)start, end - start, PROT_READ | PROT_EXEC);
	}
	site_after = site + 5;
	active = true;
	if (shim_cfg.graceful != GRACEFUL_OFF)
		linger_prepare(); /* never from inside the handler */
	snprintf(text, sizeof text,
		 "enabled: %d socket calls of Go's stub trapped at a private address%s", n,
		 no_new_privs ? "; no_new_privs set: setuid programs exec'd from here run "
				"without their privileges" : "");
	report(SHIM_EV_RAW_MODE, LOG_SEV_ERROR, text);
}
#else
void raw_init(void)
{
	if (gobinary_is_go())
		report(SHIM_EV_RAW_MODE, LOG_SEV_ERROR,
		       "refused: raw mode is implemented for x86_64 programs only");
}
#endif /* __x86_64__ */

void raw_note_unseen(void)
{
	if (gobinary_is_go())
		report(SHIM_EV_RAW_SYSCALLS_UNSEEN, LOG_SEV_ERROR,
		       "a Go program: its net package makes system calls without libc, which "
		       "sockshim does not see (SOCKSHIM_RAW=seccomp catches them)");
}
