/* A forking server's work, then how spread out the memory is that the
 * preloaded shim's data and .bss hold in pages: every 2 MiB region with a
 * page in it has a page-table page that each fork copies and each exit
 * frees (include/coldmem.h).
 *
 *   written_spans CONNECTIONS [PIPES [daemon|child]]
 * Serves CONNECTIONS loopback connections, each in a forked child that
 * reads, answers, closes and exits, closes a pipe's ends, then makes and
 * closes PIPES more pipes (default 0), then prints
 * "spans S pages P": P pages of the shim's writable memory are in memory,
 * and S is the least number of 2 MiB spans that cover them all (whatever
 * the library's load address).  With "daemon", all that is done in a
 * child forked first, as a daemon serves (the first process waits for it
 * and exits with its status).  With "child", the child of the last
 * connection prints "child pages N" before its exit, N the pages of the
 * shim's writable memory it copied on write from the fork on (its own,
 * not its parent's: the parent waits for it before it goes on).  Exit 3
 * when no shim is loaded. */
#include "progs.h"

#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#define SPAN (2UL << 20)

static void shim_memory(uintptr_t *lo, uintptr_t *hi, bool leave_open);
static long pages_in(uintptr_t lo, uintptr_t hi, bool exclusive, long *spans);

static void serve(int connections, bool child_counts)
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
			if (child_counts && i == connections - 1) {
				uintptr_t lo, hi;

				shim_memory(&lo, &hi, true);
				printf("child pages %ld\n", pages_in(lo, hi, true, NULL));
			}
			exit(0);
		}
		/* (with child_counts, nothing of the parent's written before
		 * the child counts: a page the parent copies makes the
		 * child's its own as well) */
		if (child_counts && waitpid(child, NULL, 0) != child)
			die("waitpid");
		close(fd);
		if (read(c, buf, sizeof buf) != (ssize_t)sizeof buf)
			die("read");
		close(c);
		if (!child_counts && waitpid(child, NULL, 0) != child)
			die("waitpid");
		if (pipe(p) != 0)
			die("pipe");
		close(p[0]);
		close(p[1]);
	}
	close(lfd);
}

/* The shim's writable segment: its rw mapping of the file and the
 * anonymous mapping right after it (the rest of .bss); exit 3 if none.
 * Read with read(2) and, in a counting child (leave_open), not closed:
 * close and fclose are the shim's, and a call site of its never seen
 * before is what it keeps in pages of its own (the count would be its). */
/* (dl_iterate_phdr's callback) *hi no further than the end of the shim's
 * writable segment, page-rounded. */
static int rw_end(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t *hi = arg;

	(void)size;
	if (!info->dlpi_name || !strstr(info->dlpi_name, "/libsockshim.so"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + 4095) & ~(uintptr_t)4095;

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W) && *hi > end)
			*hi = end;
	}
	return 1;
}

static void shim_memory(uintptr_t *lo, uintptr_t *hi, bool leave_open)
{
	static char maps[1 << 16];
	size_t len = 0;
	ssize_t n;
	int fd = open("/proc/self/maps", O_RDONLY);

	*lo = *hi = 0;
	if (fd < 0)
		die("/proc/self/maps");
	while (len < sizeof maps - 1 && (n = read(fd, maps + len, sizeof maps - 1 - len)) > 0)
		len += (size_t)n;
	maps[len] = 0;
	if (!leave_open)
		close(fd);
	for (char *next = maps, *end; *next; next = end) {
		char line[4096];
		unsigned long a, b;
		char perms[8];
		int name = 0;

		end = strchr(next, '\n');
		end = end ? end + 1 : next + strlen(next);
		snprintf(line, sizeof line, "%.*s", (int)(end - next), next);
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &a, &b, perms, &name) < 3)
			continue;
		if (name && strstr(line + name, "/libsockshim.so") && perms[1] == 'w') {
			*lo = a;
			*hi = b;
		} else if (*hi && a == *hi && (!name || !line[name] || line[name] == '\n')) {
			*hi = b;
		}
	}
	if (!*lo)
		exit(3);
	/* The anonymous mapping after it may have been merged with another
	 * that the kernel put next to it (0xc67000 long where the library's
	 * is 0xc62000, 2 runs in 200): no further than its writable
	 * segment's end (dl_iterate_phdr reads the loader's list, no file). */
	dl_iterate_phdr(rw_end, hi);
}

/* The pages of [lo, hi) in memory (exclusive: only those mapped by this
 * process alone, its copies); *spans (if asked): the least number of 2 MiB
 * spans that cover them all. */
static long pages_in(uintptr_t lo, uintptr_t hi, bool exclusive, long *spans)
{
	uintptr_t covered_to = 0;
	long pages = 0;
	int pm = open("/proc/self/pagemap", O_RDONLY);

	if (pm < 0)
		die("/proc/self/pagemap");
	if (spans)
		*spans = 0;
	for (uintptr_t page = lo; page < hi; page += 4096) {
		uint64_t entry;

		if (pread(pm, &entry, sizeof entry, (off_t)(page / 4096 * sizeof entry)) !=
		    (ssize_t)sizeof entry)
			die("pagemap");
		/* bit 63: present; bit 56: mapped by this process only */
		if (!(entry >> 63) || (exclusive && !((entry >> 56) & 1)))
			continue;
		pages++;
		/* greedy: a new span starts at the first page past the last */
		if (spans && page >= covered_to) {
			(*spans)++;
			covered_to = page + SPAN;
		}
	}
	if (!exclusive)
		close(pm); /* (a counting child's: see shim_memory) */
	return pages;
}

int main(int argc, char **argv)
{
	uintptr_t lo, hi;
	long pages, spans;
	bool child_counts = argc > 3 && !strcmp(argv[3], "child");

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
	serve(atoi(argv[1]), child_counts);
	for (int i = 0, n = argc > 2 ? atoi(argv[2]) : 0; i < n; i++) {
		int p[2];

		if (pipe(p) != 0)
			die("pipe");
		close(p[0]);
		close(p[1]);
	}

	shim_memory(&lo, &hi, false);
	pages = pages_in(lo, hi, false, &spans);
	printf("spans %ld pages %ld\n", spans, pages);
	return 0;
}
