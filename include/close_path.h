/* What the shim does when the program ends a descriptor: close(),
 * close_range(), closefrom().  The entry points (close_calls.c) are a few
 * lines each over these; the decisions are fdend.h's; this is where they
 * are carried out, and where the real close of a program's number happens
 * (close_real). */
#ifndef SHIM_CLOSE_PATH_H
#define SHIM_CLOSE_PATH_H

int close_path_close(int fd);
int close_path_close_range(unsigned int first, unsigned int last, int flags);
void close_path_closefrom(int lowfd);

#endif
