/* The bookkeeping of the entry points, for the other ways into a call.
 *
 * The exported wrappers (socket_calls.c, sockopt_calls.c, close_calls.c,
 * dup_calls.c, spawn_calls.c, epoll_calls.c) make the real call through
 * libc and then hand its result to these; syscall() (syscall_calls.c)
 * makes the same calls as system calls, as the program asked, and hands
 * their results to the same functions, so that both ways are one logic.
 * Each keeps errno as it found it.  Only called once the shim is ready
 * (not shim_passthrough()). */
#ifndef SHIM_CALLS_H
#define SHIM_CALLS_H

#include <stdbool.h>
#include <sys/socket.h>

/* socket()/socketpair() made fd (sv) of this domain, type and protocol. */
void calls_socket_made(int fd, int domain, int type, int protocol);
void calls_socketpair_made(const int sv[2], int domain, int type, int protocol);

/* accept/accept4 on listener lfd returned connection fd (flags: accept4's). */
void calls_accepted(int lfd, int fd, int flags);

/* setsockopt(fd, level, name, val, len) returned ret (errno its error). */
void calls_setsockopt_done(int fd, int level, int name, const void *val, socklen_t len, int ret);

/* shutdown(fd) returned ret (errno its error). */
void calls_shutdown_done(int fd, int ret);

/* sendmsg(msg) succeeded: descriptors it passed are shared now. */
void calls_sent(const struct msghdr *msg);

/* Whether a recvmsg that returned ret into msg brought descriptors in
 * SCM_RIGHTS (the process's now, unseen: fdtab_receive_end); and the same
 * for the n messages a recvmmsg returned. */
bool calls_received(const struct msghdr *msg, long ret);
bool calls_received_many(const struct mmsghdr *vec, long n);

/* epoll_create* returned epfd (passed through, also when negative). */
int calls_epoll_created(int epfd);

/* dup, dup2/dup3 (flags 0 for dup2) and fcntl, with the real call given:
 * the whole call, its result and errno those of real. */
int calls_dup(int fd, int (*real)(int fd));
int calls_dup3(int fd, int newfd, int flags, int (*real)(int fd, int newfd, int flags));
int calls_fcntl(int (*real)(int fd, int cmd, void *arg), int fd, int cmd, void *arg);

#endif
