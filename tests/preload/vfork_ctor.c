/* A library whose constructor, run before the shim's own (it comes after
 * the shim in LD_PRELOAD, and the loader runs constructors from the end),
 * vforks a child that closes a number and exits: the first call the shim
 * sees is made in a vfork child, which runs on its parent's memory with a
 * descriptor table of its own (regress_init_not_in_vfork_child). */
#include <unistd.h>

__attribute__((constructor)) static void vfork_ctor(void)
{
	pid_t pid = vfork();

	if (pid == 0) {
		close(-1);
		_exit(0);
	}
}
