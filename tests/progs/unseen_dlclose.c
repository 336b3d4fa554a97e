/* unseen_dlclose MGR A B: loads the plugin manager MGR with RTLD_DEEPBIND
 * (its dlclose then binds to libc's, past the shim's wrapper) and has it
 * load A, call closer_in_a (close(-1): a close_error record), unload A,
 * then the same with B, which lands where A was. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	void *m;
	void (*run)(const char *, const char *);

	if (argc != 4)
		return 2;
	m = dlopen(argv[1], RTLD_NOW | RTLD_DEEPBIND);
	run = m ? (void (*)(const char *, const char *))dlsym(m, "mgr_run") : NULL;
	if (!run) {
		fprintf(stderr, "%s\n", dlerror());
		return 2;
	}
	run(argv[2], "closer_in_a");
	run(argv[3], "closer_in_b");
	puts("done");
	return 0;
}
