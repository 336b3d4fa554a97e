/* Who this process is, for the records: its pid (kept current across fork)
 * and its program's short name. */
#ifndef SHIM_PROC_H
#define SHIM_PROC_H

#include <stdbool.h>
#include <sys/types.h>

extern pid_t proc_pid;
/* The process whose state the shim's memory describes: proc_pid too,
 * but renewed only where the fork handlers ran (fork(), not a fork made
 * with syscall(SYS_fork/clone/clone3), whose child holds the parent's
 * sockets unmarked as shared, a linger thread that is not there...).  The
 * guards of linger.c, exit_calls.c and raw.c compare with this one. */
extern pid_t proc_owner_pid;
/* The process whose end has begun (init.c's shim_process_ends): here,
 * on the page of proc_pid, which a forked child writes anyway. */
extern pid_t proc_ending;
extern char proc_prog[64];
/* The host's name (uname's nodename), for the records' "host". */
extern char proc_host[65];

/* At load: reads both. */
void proc_init(void);

/* In a forked child: the new pid (and thread id) for the records. */
void proc_after_fork_child(void);

/* In a child made by fork(), its fork handlers run: the shim's state is
 * now this process's (proc_owner_pid). */
void proc_after_fork_handlers(void);

/* This thread's id, for the records: asked of the kernel once per thread
 * (and again in a forked child), not at every record.  With proc_pid, a
 * record makes no system call for its "pid" and "tid". */
pid_t proc_self_tid(void);

/* The number a /proc entry's name is (a pid, a descriptor); -1 if it is
 * not one. */
int proc_number(const char *name);

/* The number of threads of this process (/proc/self/stat); -1: unknown. */
int proc_thread_count(void);

/* Calls fn for each entry of the open /proc listing dir whose name is a
 * number (a pid in /proc, a descriptor in a fd directory), with that
 * number, dir and the name, until fn returns false.  Returns false if
 * the listing could not be read to its end (nor stopped).  Raw system
 * calls, a 1 KiB buffer, no allocation. */
bool proc_each_entry(int dir, bool (*fn)(int num, int dir, const char *name, void *ctx),
		     void *ctx);

/* Calls fn for each descriptor number the process holds now, as
 * /proc/self/fd lists it: fd, the listing's own descriptor (dir, open
 * meanwhile: left out of the list, and there for readlinkat of name) and
 * the entry's name.  Raw system calls, no allocation.  Returns false if
 * the list could not be opened or read to its end. */
bool proc_each_fd(void (*fn)(int fd, int dir, const char *name, void *ctx), void *ctx);

#endif
