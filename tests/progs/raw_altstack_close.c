/* A signal handler on an alternate stack that the program set with a raw
 * sigaltstack system call (after the shim had asked the kernel and found
 * none: the wrapper never saw this one) closes a socket with bytes unread
 * whose number was dup'ed and the copy closed (the close takes the shared
 * socket's path: close_settling).  The stack is N bytes on a guard page.
 *
 *   raw_altstack_close N
 * Prints "used B ret R errno E": the deepest byte of the N written, and
 * the close's result. */
#include "progs.h"
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#define PATTERN 0xa5
static int unread_fd, copy_fd = -1;
static volatile int handled;
static int closeret, closeerr;
NOINLINE static void do_close(void) { errno = 0; closeret = close(unread_fd); closeerr = errno; }
static void on_usr1(int s) { (void)s; int e = errno; do_close(); handled = 1; errno = e; }
static void *thr(void *a) { (void)a; do_close(); return NULL; }
int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	long page = sysconf(_SC_PAGESIZE);
	const char *mode = "rawalt";
	size_t size = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	const char *share = "dupclosed";
	size_t mapped = ((size + page - 1) / page + 1) * page;
	unsigned char *map = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *base;
	int port, lfd, client; struct pollfd p; pid_t kid = -1; int kp[2];
	mprotect(map, page, PROT_NONE);
	base = map + page; errno = 0;
	lfd = listen_loopback(0, &port);
	client = connect_loopback(port);
	unread_fd = accept(lfd, NULL, NULL);
	write_all(client, "request the server never reads\n", 31);
	p = (struct pollfd){.fd = unread_fd, .events = POLLIN};
	poll(&p, 1, 5000);
	if (!strcmp(share, "dup")) copy_fd = dup(unread_fd);
	else if (!strcmp(share, "dupclosed")) close(dup(unread_fd));
	else if (!strcmp(share, "fork")) {
		pipe(kp);
		kid = fork();
		if (kid == 0) { char c; close(kp[1]); read(kp[0], &c, 1); _exit(0); }
		close(kp[0]);
	}
	memset(base, PATTERN, size);
	if (!strcmp(mode, "thread")) {
		pthread_attr_t at; pthread_t t;
		pthread_attr_init(&at);
		pthread_attr_setstack(&at, base, size);
		if (pthread_create(&t, &at, thr, NULL)) die("pthread_create");
		pthread_join(t, NULL);
	} else {
		stack_t ss = {.ss_sp = base, .ss_size = size};
		struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_ONSTACK};
		if (!strcmp(mode, "rawalt")) { if (syscall(SYS_sigaltstack, &ss, NULL)) die("sigaltstack"); }
		else if (sigaltstack(&ss, NULL)) die("sigaltstack");
		sigaction(SIGUSR1, &sa, NULL);
		raise(SIGUSR1);
		ss = (stack_t){.ss_flags = SS_DISABLE};
		syscall(SYS_sigaltstack, &ss, NULL);
	}
	size_t u; for (u = 0; u < size && base[u] == PATTERN; u++);
	printf("used %zu ret %d errno %d\n", size - u, closeret, closeerr);
	if (kid > 0) { close(kp[1]); waitpid(kid, NULL, 0); }
	if (copy_fd >= 0) close(copy_fd);
	return 0;
}
