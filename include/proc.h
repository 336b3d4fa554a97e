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

/* In a forked child: the new pid. */
void proc_after_fork_child(void);

#endif
