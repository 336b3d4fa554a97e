/* Who this process is, for the records: its pid (kept current across fork)
 * and its program's short name. */
#ifndef SHIM_PROC_H
#define SHIM_PROC_H

#include <sys/types.h>

extern pid_t proc_pid;
extern char proc_prog[64];
/* The host's name (uname's nodename), for the records' "host". */
extern char proc_host[65];

/* At load: reads both. */
void proc_init(void);

/* In a forked child: the new pid (and thread id). */
void proc_after_fork_child(void);

/* This thread's id, for the records: asked of the kernel once per thread
 * (and again in a forked child), not at every record.  With proc_pid, a
 * record makes no system call for its "pid" and "tid". */
pid_t proc_self_tid(void);

/* Calls fn for each descriptor number the process holds now, as
 * /proc/self/fd lists it: fd, the listing's own descriptor (dir, open
 * meanwhile: left out of the list, and there for readlinkat of name) and
 * the entry's name.  Raw system calls, no allocation; nothing if the list
 * cannot be opened. */
void proc_each_fd(void (*fn)(int fd, int dir, const char *name, void *ctx), void *ctx);

#endif
