/* sockshim-supervise: the same events and cures as the preloaded library,
 * from outside the program (static binaries, static Go, musl builds).
 *
 * The program runs under a seccomp filter whose action for the socket life
 * cycle's calls is SECCOMP_RET_USER_NOTIF; this process receives each such
 * call, takes a copy of the descriptor it names with pidfd_getfd, looks at
 * the socket, decides, and lets the call run (SECCOMP_USER_NOTIF_FLAG_CONTINUE)
 * or answers it itself.  Nothing of the shim's runs inside the program.
 *
 * The records are the library's (shim/event.c, shim/record.c, shim/log.c
 * linked in), with the program's pid, thread and frames (event_foreign). */
#ifndef SV_SUPERVISOR_H
#define SV_SUPERVISOR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "event.h"

/* CLOCK_MONOTONIC in milliseconds: lingering's deadlines, the after-close
 * looks', and the wait for a program to stop. */
static inline int64_t sv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define SV_BT_MAX 64

/* ---- child.c: the program's side, between fork and exec ---------------- */

/* What the filter traps, from the configuration. */
struct sv_traps {
	bool reuse;	/* bind (SO_REUSEADDR/SO_REUSEPORT forced) */
	bool setsockopt; /* setsockopt of the forced options: a clear is overridden */
	bool shutdown;	/* shutdown (shutdown_error; events=all) */
	bool sharing;	/* dup*, fcntl F_DUPFD* (graceful: holders of sockets) */
	bool passing;	/* sendmsg (graceful: sockets passed with SCM_RIGHTS) */
	bool lingering; /* epoll_create* (graceful: instances a lingering socket leaves) */
};

/* In the forked child: installs the filter, tells the supervisor its
 * listener's number over sock (taken with pidfd_getfd), waits for the supervisor's go-ahead and execs argv[0]
 * (PATH searched) with the signal mask inherited (the supervisor's at its
 * start).  Never returns: on failure writes "E<errno> <what>" to sock and
 * exits 127. */
void sv_child_run(int sock, char **argv, const struct sv_traps *traps, bool set_nnp,
		  const sigset_t *inherited) __attribute__((noreturn));

/* ---- secure.c: programs that cannot be run as they run bare ------------ */

/* Whether the file at path has file capabilities (security.capability
 * granting any): run by a user other than root, the loader ignores
 * LD_PRELOAD for it, and the supervisor's no_new_privs drops them. */
bool sv_file_caps(const char *path);

/* ---- procs.c: the supervised processes ---------------------------------- */

#define SV_HIST_SLOTS 4096

struct sv_hist {
	int fd;		/* -1: empty */
	int n;
	uint64_t ips[16];
};

struct sv_unwind; /* unwind.c */

struct sv_proc {
	pid_t pid;	/* thread group id */
	int pidfd;
	char prog[64];
	struct sv_hist *hist; /* SV_HIST_SLOTS, where each number was last closed */
	struct sv_unwind *uw;
	/* an exec in progress: its close-on-exec sockets, which a successful
	 * exec closes unseen (settled at the process's next call or exit) */
	struct sv_exec_fd {
		int fd;
		uint64_t ino;
	} *exec_fds;
	int n_exec_fds;
	/* a fork in progress (sv_share_fork): the sockets that gained a
	 * holder, taken back at the forking thread's next call if the fork
	 * made no child (sv_proc_fork_settle) */
	struct sv_fork {
		pid_t tid;	/* 0: none */
		int nr;		/* the call's number */
		long last_pid;	/* the last task made before it (-1: unknown) */
		unsigned long n_seen; /* processes seen first before it (procs.c) */
		bool retried;	/* let go as the same fork tried again */
		uint64_t *inos; /* the sockets */
		int n;
	} fork;
	/* an exit_group of one of its threads was let through (calls.c's
	 * on_exit_group: another thread's is then left unanswered) */
	bool exit_let_through;
	/* a thread other than its first made a trapped call */
	bool threaded;
	/* its epoll instances (epolls.c): numbers, found when first needed */
	struct sv_epolls {
		int *fds;
		int n, cap;
		bool known;
	} epolls;
	struct sv_proc *next;
};

/* The process of thread tid (a new entry at its first call); NULL if it is
 * gone. */
struct sv_proc *sv_proc_of(pid_t tid);
/* The parent of process pid, from /proc (0: unknown, or gone). */
pid_t sv_parent_of(pid_t pid);
/* How many processes are known (each from its first trapped call). */
int sv_proc_count(void);
/* Whether one process is known, and no thread but its first was seen in
 * a trapped call. */
bool sv_proc_one_thread(void);
/* The process is gone (its pidfd said so): its entry is freed. */
void sv_proc_gone(struct sv_proc *p);
/* At an exec: what was known of the old image is dropped, and the
 * close-on-exec sockets are noted (sv_proc_exec_settle). */
void sv_proc_exec(struct sv_proc *p);
/* After the exec (at the process's next call, or its exit): the noted
 * sockets that are gone (the exec succeeded) lose a holder. */
void sv_proc_exec_settle(struct sv_proc *p);
/* Before the program's close of fd runs, with the supervisor's copy of the
 * socket (copy) to outlive it: the socket's registrations at fd in p's
 * epoll instances are removed, as the close would have removed them had
 * it been the last reference (epolls.c).  sv_epolls_stale: p made an
 * instance, or exec'd; sv_epolls_free: p is gone. */
void sv_epolls_forget(struct sv_proc *p, int fd, int copy);
/* Whether p's socket at fd is in one of p's epoll instances (or kcmp
 * cannot tell): what sv_epolls_forget would take it out of. */
bool sv_epolls_hold(struct sv_proc *p, int fd);
void sv_epolls_stale(struct sv_proc *p);
void sv_epolls_free(struct sv_proc *p);
/* Its pidfd, for the event loop: pidfd -> process. */
struct sv_proc *sv_proc_by_pidfd(int pidfd);
/* A new process is being made: a thread id may now name a process other
 * than the one cached (a dead thread's id reused). */
void sv_proc_forget_tids(void);
/* Thread tid's /proc/PID/task/TID/syscall, kept open (a read at offset 0
 * reads it anew: one system call, not three); fresh: opened again (the
 * kept one failed: a thread that died, its id reused).  -1 if none. */
int sv_proc_syscall_fd(struct sv_proc *p, pid_t tid, bool fresh);
/* The event loop adds each new process's pidfd (set by main.c). */
extern void (*sv_proc_watch)(struct sv_proc *p);

/* Where the close of fd in p was (ips[n]); returns the slot. */
void sv_hist_note(struct sv_proc *p, int fd, const uint64_t *ips, int n);
/* The earlier close of fd, if this process closed it and has not had it
 * open since (as far as the supervisor saw). */
const struct sv_hist *sv_hist_find(struct sv_proc *p, int fd);
/* fd is open again (a dup onto it, an accept...): no double close now. */
void sv_hist_forget(struct sv_proc *p, int fd);

/* Holders of a socket (by inode) that the supervisor knows beyond the one
 * that made it: dup and fork add, close takes away. */
void sv_share_add(uint64_t ino, int n);
/* The close of one holder; returns how many holders there were before it
 * (1: this close drops the last reference). */
int sv_share_close(uint64_t ino);
/* Every socket that p holds now gains one holder (its thread tid forks,
 * by call number nr). */
void sv_share_fork(struct sv_proc *p, pid_t tid, int nr);
/* At the forking thread's next call (number nr) after its fork: if the
 * fork made no child (a signal came during it, and the kernel makes it
 * again: the fork's holders were counted twice, and its sockets never
 * reached their last holder), the holders it added are taken back.  True
 * if this call is that fork made again: its holders stand, and the call
 * is to be let go at once. */
bool sv_proc_fork_settle(struct sv_proc *p, int nr);

/* ---- gopcln.c: function names from a Go binary's .gopclntab ------------ */

struct sv_gopcln {
	const uint8_t *p; /* the section's bytes, len of them */
	size_t len;
	bool ok;
	uint8_t ptr_size;
	uint8_t min_lc;	  /* the pc quantum */
	uint8_t flag_off; /* of _func's flag: its layout's */
	uint64_t nfunc, text, funcnames, pctab, pcln;
};

/* A function of the table: its entry (the binary's own address), name,
 * pcsp table (an offset into the pctab, 0: none) and funcFlag. */
struct sv_gofunc {
	uint64_t entry;
	const char *name;
	uint32_t pcsp;
	uint8_t flag;
};
#define SV_GOFUNC_TOPFRAME 1 /* the outermost frame of a stack */
#define SV_GOFUNC_SPWRITE 2  /* writes sp: no telling its caller's frame */

/* Reads the header of .gopclntab data[len] (Go 1.18 and later); text_addr:
 * the address of .text, where the header has none (a position-independent
 * build's).  False: not such a table. */
bool sv_gopcln_open(struct sv_gopcln *t, const void *data, size_t len, uint64_t text_addr);
/* The name of the function at address addr (the binary's own addresses),
 * and in *start its entry; NULL: none.  The name lies in the data. */
const char *sv_gopcln_name(const struct sv_gopcln *t, uint64_t addr, uint64_t *start);
/* The function at addr into *f; false: none. */
bool sv_gopcln_func(const struct sv_gopcln *t, uint64_t addr, struct sv_gofunc *f);
/* How far below its return address the stack pointer is at addr in f
 * (what Go's runtime unwinds with: runtime/symtab.go funcspdelta), into
 * *delta; false: the table does not say. */
bool sv_gopcln_spdelta(const struct sv_gopcln *t, const struct sv_gofunc *f, uint64_t addr,
		       int32_t *delta);

/* ---- unwind.c: backtraces from outside ---------------------------------- */

/* Where a thread waiting in a trapped call stopped: the stack pointer and
 * program counter of its /proc/TID/syscall ("nr a1 ... a6 sp pc").
 * read(arg, buf, size) reads that file (its length, <= 0: it cannot be
 * read); pending(arg): whether the call still waits.  False: not known. */
bool sv_stopped_at(ssize_t (*read)(void *arg, char *buf, size_t size), bool (*pending)(void *arg),
		   void *arg, uint64_t *sp, uint64_t *pc);

/* The return addresses of thread tid of p, stopped in a trapped call at
 * (sp, pc), innermost first: at most max; how many.  compat: p is a
 * 32-bit x86 program (the call's ABI, abi.c). */
int sv_unwind(struct sv_proc *p, pid_t tid, uint64_t sp, uint64_t pc, uint64_t *ips, int max,
	      bool compat);
/* Names frames ips[n] of p: module, offset, symbol (valid until the next
 * unwind of p). */
void sv_unwind_name(struct sv_proc *p, const uint64_t *ips, int n, struct event_frame *out);
/* Another process (a forked child, same image) shares u; free drops one
 * reference. */
struct sv_unwind *sv_unwind_share(struct sv_unwind *u);
void sv_unwind_free(struct sv_unwind *u);

/* ---- replay.c: unwinds kept, replayed where the stack holds the same ---- */

#define SV_REPLAY_READS 256 /* stack words an unwind may read to be kept */

struct sv_replay;

/* An empty store (NULL: no memory). */
struct sv_replay *sv_replay_new(void);
/* The frames (at most max) of a kept unwind from (sp, pc) whose every
 * word read lies in stack[len] (a copy of the stack from sp) as it was,
 * or, for a word that only had to be no code address, is still none
 * (in_code(arg, w) false: the unwind's own test); how many, -1 if none. */
int sv_replay_find(const struct sv_replay *r, uint64_t sp, uint64_t pc, int max,
		   const unsigned char *stack, size_t len, bool (*in_code)(void *arg, uint64_t w),
		   void *arg, uint64_t *ips);
/* How much of the stack from sp the kept unwinds from (sp, pc) read (0:
 * none kept): all that their replay needs copied. */
size_t sv_replay_span(const struct sv_replay *r, uint64_t sp, uint64_t pc, int max);
/* An unwind from (sp, pc) begins: every stack word it reads, at off from
 * sp, is given to sv_replay_read (only_not_code: all that mattered was
 * that it was no code address, as a frame pointer's guess scans past a
 * frame's locals); a read beyond the copy, or anything else the
 * words read do not decide, makes it unknowable (not kept); keep gives its
 * frames. */
void sv_replay_begin(struct sv_replay *r, uint64_t sp, uint64_t pc, int max);
void sv_replay_read(struct sv_replay *r, size_t off, uint64_t val, bool only_not_code);
void sv_replay_unknowable(struct sv_replay *r);
void sv_replay_keep(struct sv_replay *r, const uint64_t *ips, int n);
/* The program's code changed (a module loaded): nothing kept holds. */
void sv_replay_forget(struct sv_replay *r);

/* ---- who.c: who made a call, for a record written later ------------------ */

struct sv_who {
	int pid, tid;
	char prog[64];
	int bt_n;
	struct event_frame bt[SV_BT_MAX];
	char *names; /* the block the frames' module and symbol point into */
};
void sv_who_keep(struct sv_who *w, const struct event_foreign *f);
void sv_who_drop(struct sv_who *w);
/* f filled from w, for event.foreign; returns f. */
const struct event_foreign *sv_who_foreign(const struct sv_who *w, struct event_foreign *f);

/* ---- fds.c: the supervisor's own descriptors ---------------------------- */

/* Raises the supervisor's descriptor limit to its hard limit (called after
 * the program's fork: the program keeps the limit it was given). */
void sv_fds_raise(void);
/* Whether a copy at number fd may be kept past the answer (lingering, or
 * until the program's close has run): false past the reserve line that
 * keeps numbers free for the copies a look takes for a moment. */
bool sv_fds_room(int fd);

/* ---- afterclose.c: the outcome of a close, known once it ran -------------- */

/* The program is closing fd (the socket behind copy, inode ino), the last
 * holder the supervisor knows of: the supervisor's copy is now the last
 * reference, so the kernel's tcp_close, and its RST if data is unread,
 * happens when the copy is closed.  Kept until the program's close has
 * run (its number no longer names the socket), then the socket is looked
 * at (unread data, SO_LINGER {1, 0}, a pending error), the record written
 * (close_rst, close_pending_error) and the copy closed: the record and the
 * RST go together exactly.  state: the TCP state the look found (< 0:
 * none asked). */
void sv_after_take(int copy, int pidfd, int fd, uint64_t ino, uint32_t st, int state,
		   const struct event_foreign *who);
/* Right after the answer: waits a little for the program's close to run
 * (the peer's FIN waits for the copy's close). */
void sv_after_settle(void);
/* The process whose pidfd is pidfd is gone (before the pidfd is closed):
 * nothing of the supervisor's names it any more. */
void sv_after_forget_pidfd(int pidfd);
/* Timeout for the loop while closes are pending (-1: none). */
int sv_after_timeout_ms(void);
/* A socket's TCP state (tcpi_state), -1 for another kind or no socket. */
int sv_tcp_state(int copy);
/* Checks the pending closes. */
void sv_after_check(void);
/* At exit: every pending close decided. */
void sv_after_finish(void);

/* ---- linger.c: graceful close on the supervisor's copies ----------------- */

/* Tags of the event loop's epoll entries: kind << 32 | index. */
enum { SV_TAG_NOTIFY = 1, SV_TAG_SIGNAL, SV_TAG_PIDFD, SV_TAG_LINGER, SV_TAG_MSG, SV_TAG_KICK };

/* Takes copy (the supervisor's descriptor of a TCP socket that the program
 * is closing as number fd) to linger on: shutdown(SHUT_WR), drain until
 * EOF or SOCKSHIM_LINGER_MS, close.  The record of how it ended is written
 * with the close's pid, tid, program and frames.  NULL if taken (or done
 * at once); else why it could not (no memory; a lingering that has to wait,
 * past the reserve line of the supervisor's table: fds.c), the socket shut
 * down and drained as far as it went, and the caller closes copy. */
const char *sv_linger_take(int copy, int fd, uint32_t fd_state, const struct event_foreign *who,
			   bool replaced_linger_zero);
/* The epoll set lingering sockets are watched in; the timeout of the next
 * deadline (-1: none). */
void sv_linger_init(int epfd);
int sv_linger_timeout_ms(void);
/* An event on lingering slot i, or deadlines due. */
void sv_linger_event(uint32_t i);
void sv_linger_expire(void);
/* At exit: the sockets still lingering get up to SOCKSHIM_LINGER_MS. */
void sv_linger_finish(void);

/* ---- abi.c: which call a notification is ------------------------------ */

enum sv_call {
	SV_CALL_OTHER, /* nothing the supervisor handles: let run */
	SV_CALL_CLOSE,
	SV_CALL_BIND,
	SV_CALL_SETSOCKOPT,
	SV_CALL_SHUTDOWN,
	SV_CALL_DUP,   /* dup(fd) */
	SV_CALL_FCNTL, /* fcntl(fd, F_DUPFD*, min), fcntl64 */
	SV_CALL_DUP2,  /* dup2, dup3 */
	SV_CALL_FORK,  /* fork, vfork */
	SV_CALL_CLONE,
	SV_CALL_CLONE3,
	SV_CALL_EXEC, /* execve, execveat */
	SV_CALL_EXIT_GROUP,
	SV_CALL_CLOSE_RANGE,
	SV_CALL_SENDMSG,
	SV_CALL_EPOLL_CREATE, /* epoll_create, epoll_create1 */
};

/* A trapped call's arguments, as the call itself takes them. */
struct sv_args {
	uint64_t v[6];
	bool compat; /* a 32-bit x86 program: its pointers and structures are 32-bit */
};

struct seccomp_notif;

/* The call req is, and its arguments in *a: the program's own for a
 * 64-bit program; for a 32-bit x86 one, its numbers mapped, and
 * socketcall's arguments read from the memory of process pid. */
enum sv_call sv_abi_decode(pid_t pid, const struct seccomp_notif *req, struct sv_args *a);

/* The call that i386 system call number nr is (SV_CALL_OTHER: none the
 * supervisor handles). */
enum sv_call sv_abi_i386_call(int nr);

/* A struct msghdr as the program's ABI lays it out (compat: a 32-bit
 * one's): its size (at most SV_MSGHDR_MAX), and where its control data is
 * in the program's memory, and how long; false: none. */
#define SV_MSGHDR_MAX 64
size_t sv_abi_msghdr_size(bool compat);
bool sv_abi_msghdr_control(const void *hdr, bool compat, uint64_t *control, uint64_t *len);

/* The numbers the SCM_RIGHTS messages in control data control[len] (in the
 * program's ABI) carry, into fds (at most max); how many. */
int sv_abi_rights(const unsigned char *control, size_t len, bool compat, int *fds, int max);

/* ---- calls.c: each trapped call --------------------------------------- */

/* Handles one notification read from listener fd nfd and answers it. */
struct seccomp_notif;
void sv_handle(int nfd, struct seccomp_notif *req);

#endif
