/* The program's epoll instances.  An epoll entry goes away only when every
 * descriptor of the open file is closed; a socket the shim keeps a private
 * copy of (lingering in the background) would stay in the program's epoll
 * sets after the program's close(), and be reported under the number the
 * program closed — or the next connection's, which may have it now. */
#ifndef SHIM_EPOLLSET_H
#define SHIM_EPOLLSET_H

#include <stdbool.h>

/* epoll_create* made epfd. */
void epollset_note(int epfd);

/* Removes fd (about to be closed by the program) from every epoll instance
 * of the process.  look_inherited: the first time, also find instances
 * inherited through exec (in /proc/self/fd); false in a signal handler on
 * a small stack. */
void epollset_forget(int fd, bool look_inherited);

#endif
