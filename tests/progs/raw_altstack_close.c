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
#include <sys/mman.h>
#include <sys/syscall.h>

#define PATTERN 0xa5

static int unread_fd, close_ret, close_err;

NOINLINE static void close_unread(void)
{
	errno = 0;
	close_ret = close(unread_fd);
	close_err = errno;
}

static void on_usr1(int sig)
{
	int saved = errno;

	(void)sig;
	close_unread();
	errno = saved;
}

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size = argc > 1 ? strtoul(argv[1], NULL, 0) : 0, used;
	unsigned char *map, *base;
	int port, lfd, client;
	struct pollfd p;
	stack_t ss;
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_ONSTACK};

	if (size == 0)
		return 2;
	/* the stack, right above a guard page */
	map = mmap(NULL, ((size + page - 1) / page + 1) * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED || mprotect(map, page, PROT_NONE) != 0)
		die("mmap");
	base = map + page;
	lfd = listen_loopback(0, &port);
	client = connect_loopback(port);
	unread_fd = accept(lfd, NULL, NULL);
	write_all(client, "request the server never reads\n", 31);
	p = (struct pollfd){.fd = unread_fd, .events = POLLIN};
	poll(&p, 1, 5000);
	/* another holder once (the shared close's path); this close is the
	 * shim's first look for an alternate stack, before there is one */
	close(dup(unread_fd));
	memset(base, PATTERN, size);
	ss = (stack_t){.ss_sp = base, .ss_size = size};
	if (syscall(SYS_sigaltstack, &ss, NULL) != 0) /* past the shim's wrapper */
		die("sigaltstack");
	sigaction(SIGUSR1, &sa, NULL);
	errno = 0; /* (errno's function bound now, not by the loader on that stack) */
	raise(SIGUSR1);
	ss = (stack_t){.ss_flags = SS_DISABLE};
	syscall(SYS_sigaltstack, &ss, NULL);
	for (used = size; used > 0 && base[size - used] == PATTERN; used--)
		;
	printf("used %zu ret %d errno %d\n", used, close_ret, close_err);
	return 0;
}
