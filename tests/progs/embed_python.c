/* A C program that embeds Python the way plugins do (mod_wsgi, uwsgi):
 * libpython is dlopen'ed (RTLD_LOCAL) after the start, then runs a script
 * whose function closes a socket with unread data.
 *
 *   embed_python LIBPYTHON SCRIPT [global]
 * Exits 0 when the script ran.  "global": libpython is loaded RTLD_GLOBAL,
 * so that the script can import ctypes (an extension module that needs
 * libpython's symbols) and call deep_close below, a close made many
 * native frames below the Python code that asks for it. */
#include <dlfcn.h>

#include "progs.h"

NOINLINE int deep_close(int fd, int depth)
{
	int ret = depth > 0 ? deep_close(fd, depth - 1) : close(fd);

	__asm__ volatile("" ::: "memory"); /* no tail call */
	return ret;
}

int main(int argc, char **argv)
{
	void (*initialize)(int);
	int (*run)(const char *);
	int (*finalize)(void);
	void *h;
	FILE *f;
	static char script[65536];
	size_t n;

	if (argc != 3 && !(argc == 4 && strcmp(argv[3], "global") == 0))
		return 2;
	f = fopen(argv[2], "r");
	if (!f)
		die("fopen");
	n = fread(script, 1, sizeof script - 1, f);
	script[n] = '\0';
	fclose(f);
	h = dlopen(argv[1], RTLD_NOW | (argc == 4 ? RTLD_GLOBAL : RTLD_LOCAL));
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	initialize = (void (*)(int))dlsym(h, "Py_InitializeEx");
	run = (int (*)(const char *))dlsym(h, "PyRun_SimpleString");
	finalize = (int (*)(void))dlsym(h, "Py_FinalizeEx");
	if (!initialize || !run || !finalize)
		return 1;
	initialize(0);
	if (run(script) != 0)
		return 1;
	return finalize() == 0 ? 0 : 1;
}
