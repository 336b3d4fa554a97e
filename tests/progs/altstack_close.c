/* A signal handler on a small alternate stack that closes sockets, the way
 * crash and shutdown handlers do (issue 10, defect 1).
 *
 *   altstack_close N   N bytes of alternate stack (ss_size = N exactly),
 *                      with an inaccessible page right below it: an
 *                      overflow faults at once instead of silently
 *                      corrupting whatever lies below.  The handler closes
 *                      a connected TCP socket with unread data (a close_rst
 *                      under the shim) and then a number already closed (a
 *                      double_close).  Prints "used B": the deepest byte of
 *                      the alternate stack anything wrote, found by filling
 *                      it with a pattern first.
 *   altstack_close N shared   the same, the socket first dup'ed and the
 *                      copy closed: the handler's close is then the last
 *                      of a socket that had other holders, which the shim
 *                      settles with the kernel after the close (sock_diag).
 *   altstack_close N exit   the handler ends the process with _exit(7),
 *                      the socket with unread data still open, as crash
 *                      handlers end. */
#include "progs.h"

#include <poll.h>
#include <sys/mman.h>

#define PATTERN 0xa5

static int unread_fd, closed_fd;
static volatile sig_atomic_t handled, exit_in_handler;
/* _exit through its address, which the loader binds at start: a first
 * call through the PLT binds lazily, on a stack no small one has room
 * for */
static void (*volatile end_now)(int) = _exit;

NOINLINE void altstack_closer(void)
{
	close(unread_fd); /* unread bytes: the kernel resets, a close_rst */
	close(closed_fd); /* EBADF: a double_close */
}

static void on_usr1(int sig)
{
	int saved = errno;

	(void)sig;
	if (exit_in_handler)
		end_now(7);
	altstack_closer();
	handled = 1;
	errno = saved;
}

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size = argc > 1 ? strtoul(argv[1], NULL, 0) : 8192;
	size_t mapped = ((size + (size_t)page - 1) / (size_t)page + 1) * (size_t)page;
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_ONSTACK};
	struct pollfd p;
	unsigned char *map, *base;
	stack_t ss;
	int port, lfd, client;
	size_t untouched;

	/* The stack ends exactly at the guard page: its first byte is the
	 * one right above it, so "size" bytes and not one more are usable. */
	map = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		die("mmap");
	if (mprotect(map, (size_t)page, PROT_NONE) != 0)
		die("mprotect");
	base = map + page;

	lfd = listen_loopback(0, &port);
	client = connect_loopback(port);
	unread_fd = accept(lfd, NULL, NULL);
	if (unread_fd < 0)
		die("accept");
	exit_in_handler = argc > 2 && strcmp(argv[2], "exit") == 0;
	if (argc > 2 && strcmp(argv[2], "shared") == 0) {
		int copy = dup(unread_fd);

		if (copy < 0 || close(copy) != 0)
			die("dup");
	}
	write_all(client, "request the server never reads\n", 31);
	p = (struct pollfd){.fd = unread_fd, .events = POLLIN};
	if (poll(&p, 1, 5000) != 1)
		die("poll");
	/* Opened while the others are open, so its number differs from
	 * theirs; nothing is opened after its close, so the number stays
	 * free until the handler closes it again. */
	closed_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (closed_fd < 0 || close(closed_fd) != 0)
		die("closed_fd");

	/* Everything the handler calls is bound now: lazy binding saves the
	 * whole vector register state on the stack (some KiB with AVX-512),
	 * which no small alternate stack has room for, shim or not. */
	errno = 0;
	memset(base, PATTERN, size);
	ss = (stack_t){.ss_sp = base, .ss_size = size};
	if (sigaltstack(&ss, NULL) != 0)
		die("sigaltstack");
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	if (!handled)
		die("handler did not run");

	/* Off the alternate stack again: nothing writes there any more. */
	ss = (stack_t){.ss_flags = SS_DISABLE};
	sigaltstack(&ss, NULL);
	for (untouched = 0; untouched < size && base[untouched] == PATTERN; untouched++)
		;
	printf("used %zu\n", size - untouched);
	close(client);
	close(lfd);
	return 0;
}
