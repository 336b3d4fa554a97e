/* What the shim does when the program ends a descriptor: close(),
 * close_range(), closefrom(), and the other ways runtimes end one
 * (syscall(SYS_close), fclose, dup2 onto a socket).  The entry points
 * (close_calls.c, syscall_calls.c, stdio_calls.c, dup_calls.c) are a few
 * lines each over these; the decisions are fdend.h's; this is where they
 * are carried out, and where the real close of a program's number happens
 * (close_real). */
#ifndef SHIM_CLOSE_PATH_H
#define SHIM_CLOSE_PATH_H

#include <stdbool.h>

/* How a number is really closed when not by libc's close(). */
struct close_how {
	int (*real)(int fd, void *ctx); /* 0, or -1 with errno, as close() */
	void *ctx;
	bool nocancel; /* never a cancellation point (syscall(SYS_close)) */
	bool stream;   /* fclose: a failure other than EBADF is the flush's;
			  the number is gone all the same */
};

/* close(fd); site: the program's call site (the return address of the
 * exported close), which keys the close's backtrace in the unwinder's
 * kept captures without a walk of the shim's own frames to find it. */
int close_path_close(int fd, const void *site);
/* close(fd) as syscall(SYS_close, fd) makes it: the same checks, events
 * and graceful close, but never a cancellation point. */
int close_path_close_nocancel(int fd);
/* The close path with the real close done by how (NULL: close()). */
int close_path_end(int fd, const struct close_how *how);

int close_path_close_range(unsigned int first, unsigned int last, int flags);
/* syscall(SYS_close_range, ...): the kernel's answer, no fallback. */
int close_path_close_range_syscall(unsigned int first, unsigned int last, int flags);
void close_path_closefrom(int lowfd);

/* The socket on fd is about to be closed by the kernel without a close()
 * of the number (dup2/dup3 onto it, freopen of its stream): the checks,
 * events and graceful close of its last close, done now.  errno kept. */
void close_path_before_takeover(int fd);

/* At exit() (by_exit: the shim's destructor, after the program's atexit
 * handlers and destructors) and at _exit() (exit_calls.c): every TCP
 * socket still open gets what its close would get, since the kernel
 * closes it when the process goes: the checks and events (close_rst), and
 * under SOCKSHIM_GRACEFUL the lingering, which linger_wait_at_exit() then
 * waits for (stdio's buffers flushed first at exit(), never at _exit()).
 * A socket with other holders is closed here and the kernel asked whether
 * it was the last reference, in a single-threaded process only.  Nothing
 * on a small alternate signal stack (call_tight).  Death by a signal runs
 * nothing: out of reach. */
void close_path_at_exit(bool by_exit);

/* At the start of a process image: the sockets it inherited through exec
 * (inetd's service, a shell's redirection, systemd's socket activation)
 * are learned, so that a close of one is checked as any other's; before,
 * only a fork or an exit looked for them, and a
 * service that closed its connection with bytes unread reset it unseen
 * (regress_inherited_socket_closed).  The table is then complete: a fork
 * or an exit walks again only once something may have come unseen
 * (fdtab_all_seen). */
void close_path_at_start(void);

/* Before fork(): the sockets the process holds unseen (inherited through
 * exec, received in SCM_RIGHTS) are learned now, once, so that the
 * children's exits need not look for them (fdtab_all_seen). */
void close_path_before_fork(void);

#endif
