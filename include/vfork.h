/* vfork (shim/vfork.S, shim/spawn_calls.c): a vfork child runs on its
 * parent's memory, so every call it makes passes straight through. */
#ifndef SHIM_VFORK_H
#define SHIM_VFORK_H

/* Set while this thread is a vfork child. */
extern __thread int vfork_in_child __attribute__((tls_model("initial-exec")));

#endif
