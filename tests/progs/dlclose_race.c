/* dlclose_race PLUGIN N: N rounds of: the main thread dlopens PLUGIN, whose
 * functions close 64 sockets, and dlcloses it while another thread closes
 * the same numbers again (double_close records whose first_backtrace names
 * the plugin's frames).  Prints "survived N iterations". */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include <time.h>
#define N 64
static int fds[N];
static volatile int go, done, iter;
#include <signal.h>
#include <string.h>
static void segv(int s){ char b[64]; int n = snprintf(b, sizeof b, "SIGSEGV at iteration %d\n", iter); write(2, b, n); _exit(139); (void)s; }
static void *a_thread(void *x)
{
	(void)x;
	for (;;) {
		while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE)) ;
		go = 0;
		for (int i = 0; i < N; i++) close(fds[i]);
		__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}
int main(int argc, char **argv)
{
	pthread_t t;
	int iters = argc > 2 ? atoi(argv[2]) : 2000;
	pthread_create(&t, NULL, a_thread, NULL);
	signal(SIGSEGV, segv);
	for (int it = 0; it < iters; it++) { iter = it;
		void *h = dlopen(argv[1], RTLD_NOW);
		void (*f)(int *, int) = (void (*)(int *, int))dlsym(h, "plug_close_all");
		for (int i = 0; i < N; i++) fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		f(fds, N);
		done = 0;
		__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
		struct timespec ts = {0, (rand() % 40) * 1000};
		nanosleep(&ts, NULL);
		dlclose(h);
		while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) ;
	}
	printf("survived %d iterations\n", iters);
	return 0;
}
