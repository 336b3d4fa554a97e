/* The process's identity for the records. */
#define _GNU_SOURCE
#include "proc.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "sys.h"

pid_t proc_pid;
char proc_prog[64];
char proc_host[65];

void proc_init(void)
{
	size_t n = strnlen(program_invocation_short_name, sizeof proc_prog - 1);

	proc_pid = sys_getpid();
	memcpy(proc_prog, program_invocation_short_name, n);
	proc_prog[n] = '\0';
	{
		struct utsname u;

		if (uname(&u) == 0) {
			n = strnlen(u.nodename, sizeof proc_host - 1);
			memcpy(proc_host, u.nodename, n);
			proc_host[n] = '\0';
		}
	}
}

void proc_after_fork_child(void)
{
	proc_pid = sys_getpid();
}
