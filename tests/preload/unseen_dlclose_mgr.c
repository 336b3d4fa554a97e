/* A plugin manager, loaded RTLD_DEEPBIND by tests/progs/unseen_dlclose:
 * its dlclose binds to libc's own, not the shim's. */
#include <dlfcn.h>
#include <stdio.h>

void mgr_run(const char *lib, const char *fn);
void mgr_run(const char *lib, const char *fn)
{
	void *h = dlopen(lib, RTLD_NOW);
	int (*f)(void) = h ? (int (*)(void))dlsym(h, fn) : NULL;

	if (!f) {
		fprintf(stderr, "mgr: %s\n", dlerror());
		return;
	}
	f();
	dlclose(h);
}
