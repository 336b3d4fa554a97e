/* A forking server's work, then how spread out the memory is that the
 * preloaded shim's data and .bss hold in pages: every 2 MiB region with a
 * page in it has a page-table page that each fork copies and each exit
 * frees (include/coldmem.h).
 *
 *   written_spans CONNECTIONS [PIPES [daemon]]
 * Serves CONNECTIONS loopback connections, each in a forked child that
 * reads, answers, closes and exits, closes a pipe's ends, then makes and
 * closes PIPES more pipes (default 0), then prints
 * "spans S pages P": P pages of the shim's writable memory are in memory,
 * and S is the least number of 2 MiB spans that cover them all (whatever
 * the library's load address).  With "daemon", all that is done in a
 * child forked first, as a daemon serves (the first process waits for it
 * and exits with its status).  Exit 3 when no shim is loaded. */
#include "progs.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define SPAN (2UL << 20)

static void serve(int connections)
{
	int port, lfd = listen_loopback(0, &port);
	char buf[64] = "request";

	for (int i = 0; i < connections; i++) {
		int c = connect_loopback(port), fd = accept(lfd, NULL, NULL);
		int p[2];
		pid_t child;

		if (fd < 0)
			die("accept");
		write_all(c, buf, sizeof buf);
		child = fork();
		if (child < 0)
			die("fork");
		if (child == 0) {
			close(lfd);
			if (read(fd, buf, sizeof buf) <= 0)
				_exit(4);
			write_all(fd, buf, sizeof buf);
			close(fd);
			exit(0);
		}
		close(fd);
		if (read(c, buf, sizeof buf) != (ssize_t)sizeof buf)
			die("read");
		close(c);
		if (waitpid(child, NULL, 0) != child)
			die("waitpid");
		if (pipe(p) != 0)
			die("pipe");
		close(p[0]);
		close(p[1]);
	}
	close(lfd);
}

int main(int argc, char **argv)
{
	char line[4096];
	uintptr_t lo = 0, hi = 0, covered_to = 0;
	long pages = 0, spans = 0;
	FILE *maps;
	int pm;

	if (argc < 2 || argc > 4)
		return 2;
	/* No transparent huge pages: one fault would bring in 512 pages of
	 * an aligned 2 MiB block of .bss that the shim never wrote.  The
	 * setting holds across exec, so the shim starts again under it. */
	if (!getenv("WRITTEN_SPANS_NO_THP")) {
		if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0)
			die("prctl");
		setenv("WRITTEN_SPANS_NO_THP", "1", 1);
		execv("/proc/self/exe", argv);
		die("execv");
	}
	if (argc > 3 && !strcmp(argv[3], "daemon")) {
		pid_t daemon = fork();
		int status;

		if (daemon < 0)
			die("fork");
		if (daemon > 0)
			return waitpid(daemon, &status, 0) == daemon && WIFEXITED(status) ?
				       WEXITSTATUS(status) : 2;
	}
	serve(atoi(argv[1]));
	for (int i = 0, n = argc > 2 ? atoi(argv[2]) : 0; i < n; i++) {
		int p[2];

		if (pipe(p) != 0)
			die("pipe");
		close(p[0]);
		close(p[1]);
	}

	/* The shim's writable segment: its rw mapping of the file and the
	 * anonymous mapping right after it (the rest of .bss). */
	maps = fopen("/proc/self/maps", "r");
	if (!maps)
		die("/proc/self/maps");
	while (fgets(line, sizeof line, maps)) {
		unsigned long a, b;
		char perms[8];
		int name = 0;

		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &a, &b, perms, &name) < 3)
			continue;
		if (name && strstr(line + name, "/libsockshim.so") && perms[1] == 'w') {
			lo = a;
			hi = b;
		} else if (hi && a == hi && (!name || !line[name] || line[name] == '\n')) {
			hi = b;
		}
	}
	fclose(maps);
	if (!lo)
		return 3;

	pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0)
		die("/proc/self/pagemap");
	for (uintptr_t page = lo; page < hi; page += 4096) {
		uint64_t entry;

		if (pread(pm, &entry, sizeof entry, (off_t)(page / 4096 * sizeof entry)) !=
		    (ssize_t)sizeof entry)
			die("pagemap");
		if (!(entry >> 63))
			continue;
		pages++;
		/* greedy: a new span starts at the first page past the last */
		if (page >= covered_to) {
			spans++;
			covered_to = page + SPAN;
		}
	}
	close(pm);
	printf("spans %ld pages %ld\n", spans, pages);
	return 0;
}
