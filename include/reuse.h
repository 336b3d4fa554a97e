/* SOCKSHIM_REUSEADDR / SOCKSHIM_REUSEPORT: the options forced on every
 * AF_INET/AF_INET6 stream socket before the program can bind it, and kept on
 * when the program tries to clear them. */
#ifndef SHIM_REUSE_H
#define SHIM_REUSE_H

#include <stdint.h>
#include <sys/socket.h>

/* Forces the configured options on the new socket fd of state st.  A
 * failure never fails the program's socket() call (it is logged). */
void reuse_force(int fd, uint32_t st);

/* After the program's successful setsockopt(fd, level, name, val, len):
 * if it cleared a forced option, sets it again. */
void reuse_keep_forced(int fd, int level, int name, const void *val, socklen_t len);

#endif
