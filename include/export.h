/* Marks the interposed entry points: the only symbols the library exports
 * (it is built with -fvisibility=hidden, and shim/libsockshim.map lists the
 * same names), so it never collides with the program's own symbols. */
#ifndef SHIM_EXPORT_H
#define SHIM_EXPORT_H

#define SHIM_EXPORT __attribute__((visibility("default")))

#endif
