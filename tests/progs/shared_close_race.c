/* shared_close_race N: N connections, each accepted and shared by fork
 * with request bytes left unread; the parent and the child close their
 * copies at the same moment (both spin on a flag in shared memory), so
 * that each asks the kernel, after its own close, whether the socket is
 * gone only once the other has closed too.  The kernel resets each
 * connection once.  Exits 0. */
#include "progs.h"

#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>

NOINLINE void close_in_child(int fd)
{
	close(fd);
	__asm__ volatile("" ::: "memory");
}

NOINLINE void close_in_parent(int fd)
{
	close(fd);
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20, port, lfd;
	int *clients = calloc((size_t)n, sizeof *clients);
	volatile int *go = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (!clients || go == MAP_FAILED)
		die("memory");
	lfd = listen_loopback(0, &port);
	for (int i = 0; i < n; i++) {
		char req[300];
		int s, status;
		pid_t child;

		memset(req, 'r', sizeof req);
		clients[i] = connect_loopback(port);
		write_all(clients[i], req, sizeof req);
		s = accept(lfd, NULL, NULL);
		if (s < 0)
			die("accept");
		if (await_queued(s, sizeof req) != 0) /* the request in s's receive queue */
			die("the request never came");
		go[0] = 0;
		go[1] = 0;
		child = fork();
		if (child < 0)
			die("fork");
		if (child == 0) {
			close(lfd);
			__atomic_store_n(&go[1], 1, __ATOMIC_SEQ_CST); /* ready */
			while (!__atomic_load_n(&go[0], __ATOMIC_SEQ_CST))
				;
			close_in_child(s);
			_exit(0);
		}
		while (!__atomic_load_n(&go[1], __ATOMIC_SEQ_CST))
			sched_yield();
		__atomic_store_n(&go[0], 1, __ATOMIC_SEQ_CST);
		close_in_parent(s);
		if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
			die("child");
	}
	usleep(100000);
	for (int i = 0; i < n; i++)
		close(clients[i]);
	return 0;
}
