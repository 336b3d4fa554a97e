/* A signal handler makes a record while another thread is inside dlopen,
 * in a constructor that waits for the handler to finish (it holds the
 * dynamic loader's lock all that time).
 *
 *   handler_record_during_dlopen LIBRARY normal|altstack
 *
 * First bad_close() closes -1 once outside any handler (its frames are
 * seen once).  Then a thread dlopens LIBRARY (tests/preload/slow_ctor.c),
 * whose constructor says it started and waits; the main thread, with the
 * constructor waiting, raises SIGUSR1, whose handler (on the normal stack,
 * or on an alternate signal stack) calls bad_close() again; then the
 * constructor is let go and the thread joined.  Prints "done" and exits 0.
 * A shim that names frames with dladdr (the loader's lock) waits in the
 * handler for ever: the test runs it under a timeout. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>

#include "progs.h"

static int started[2], go[2];
static const char *library;

NOINLINE int bad_close(void)
{
	return close(-1);
}

static void on_usr1(int sig)
{
	(void)sig;
	bad_close();
}

static void *opener(void *arg)
{
	(void)arg;
	if (!dlopen(library, RTLD_NOW | RTLD_LOCAL)) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		exit(2);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	pthread_t t;
	char env[32], c;
	static char altstack[128 * 1024];

	if (argc != 3)
		return 2;
	library = argv[1];
	if (strcmp(argv[2], "altstack") == 0) {
		stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack};

		if (sigaltstack(&ss, NULL) != 0)
			die("sigaltstack");
		sa.sa_flags = SA_ONSTACK;
	}
	if (sigaction(SIGUSR1, &sa, NULL) != 0 || pipe(started) != 0 || pipe(go) != 0)
		die("setup");
	bad_close(); /* seen once outside a handler */
	snprintf(env, sizeof env, "%d", started[1]);
	setenv("SLOW_CTOR_STARTED", env, 1);
	snprintf(env, sizeof env, "%d", go[0]);
	setenv("SLOW_CTOR_GO", env, 1);
	if (pthread_create(&t, NULL, opener, NULL) != 0)
		die("pthread_create");
	if (read(started[0], &c, 1) != 1)
		die("read");
	raise(SIGUSR1); /* the constructor waits, inside dlopen */
	c = 'g';
	if (write(go[1], &c, 1) != 1)
		die("write");
	pthread_join(t, NULL);
	puts("done");
	return 0;
}
