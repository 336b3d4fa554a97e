/* The timeout pattern of old servers (a timer signal whose handler
 * siglongjmps back) meeting the shim's walk of the loader's list, which a
 * record makes (dl_iterate_phdr: symcache).  The timer is made to fire in
 * the walk: this program's dl_iterate_phdr (exported: -rdynamic, found
 * before libc's) raises SIGALRM from inside the real walk, once, when
 * armed; the handler jumps out of the close() being recorded.
 *
 *   longjmp_out_of_walk [unmasked]
 *
 * With "unmasked", the timer fires in the first walk made with SIGALRM
 * deliverable (none of the shim's was, before 39ff056), so the jump leaves
 * the real walk midway, the loader's lock held; without, in the first walk
 * (langtrace's, made with signals blocked: the handler runs as the mask is
 * restored, before the walk's end is marked).
 *
 * Then another thread walks the loader's list (as dlopen, a C++ throw
 * without _dl_find_object, libunwind would): prints "other thread: walked"
 * or "other thread: HUNG" (the jump left the loader's lock held by this
 * thread), and a second close(-1) from bad_closer() is recorded (a
 * close_error record with the program's backtrace).  Exits 0. */
#include "progs.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <setjmp.h>
#include <time.h>

typedef int (*walk_cb)(struct dl_phdr_info *, size_t, void *);

static sigjmp_buf env;
static volatile sig_atomic_t armed, unmasked;

struct fwd {
	walk_cb fn;
	void *ctx;
};

static int in_walk(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct fwd *f = ctx;

	sigset_t now;

	if (armed && unmasked &&
	    (pthread_sigmask(SIG_BLOCK, NULL, &now) != 0 || sigismember(&now, SIGALRM)))
		return f->fn(info, size, f->ctx);
	if (armed) {
		armed = 0;
		raise(SIGALRM); /* the timer, in the middle of the walk */
	}
	return f->fn(info, size, f->ctx);
}

int dl_iterate_phdr(walk_cb fn, void *ctx)
{
	static int (*real)(walk_cb, void *);
	struct fwd f = {fn, ctx};

	if (!real)
		real = (int (*)(walk_cb, void *))dlsym(RTLD_NEXT, "dl_iterate_phdr");
	return real(in_walk, &f);
}

static void on_alarm(int sig)
{
	(void)sig;
	siglongjmp(env, 1);
}

NOINLINE void bad_closer(void)
{
	close(-1);
}

static int count(struct dl_phdr_info *info, size_t size, void *ctx)
{
	(void)info;
	(void)size;
	++*(int *)ctx;
	return 0;
}

static void *walker(void *arg)
{
	int n = 0;

	(void)arg;
	dl_iterate_phdr(count, &n);
	return NULL;
}

int main(int argc, char **argv)
{
	volatile int jumped = 0;
	struct timespec until;
	pthread_t t;

	unmasked = argc > 1 && strcmp(argv[1], "unmasked") == 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	if (sigsetjmp(env, 1) == 0) {
		armed = 1;
		bad_closer(); /* recorded: the record's walk is interrupted */
	} else {
		jumped = 1;
	}
	armed = 0;
	printf("close: %s\n", jumped ? "jumped" : "returned");
	if (pthread_create(&t, NULL, walker, NULL) != 0)
		die("pthread_create");
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	if (pthread_timedjoin_np(t, NULL, &until) != 0) {
		puts("other thread: HUNG");
		fflush(stdout);
		_exit(0);
	}
	puts("other thread: walked");
	bad_closer();
	return 0;
}
