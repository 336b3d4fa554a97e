# Regression: on i386 a record made in a signal handler on a small
# alternate stack, to a log file opened more than a second before (so the
# record checks whether the file was rotated away: an fstat and an lstat),
# went through glibc's fstat/fstatat, which there take a 256-byte struct
# statx and more on the stack: the shim added 1296 bytes (graceful off;
# 1472 with SOCKSHIM_GRACEFUL=1) where it may add 1 KiB + 128 bytes
# (regress_altstack_close, x86_64).  Now the kernel's stat64 by raw system
# calls.  Found by an acceptance re-check.
#
# Before: "events=errors: the shim adds 1296 bytes of stack (at most 1152)".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the stack depth of an instrumented build means nothing"
[ -f "$B/i386/libsockshim.so" ] || skip "no i386 library (make lib32)"

cat >"$WORK/prog.c" <<'C'
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#define SIZE 8192
static int unread_fd, closed_fd;
static void on_usr1(int sig)
{
	(void)sig;
	close(unread_fd); /* unread bytes: close_rst (graceful: lingered) */
	close(closed_fd); /* double_close */
}
int main(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t n = sizeof a;
	int l = socket(AF_INET, SOCK_STREAM, 0), c;
	unsigned char *map, *st;
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_ONSTACK};
	stack_t ss;
	size_t i = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (void *)&a, sizeof a) || listen(l, 1) || getsockname(l, (void *)&a, &n))
		return 2;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (void *)&a, sizeof a))
		return 2;
	unread_fd = accept(l, 0, 0);
	if (write(c, "unread", 6) != 6)
		return 2;
	closed_fd = socket(AF_INET, SOCK_STREAM, 0);
	close(closed_fd);
	close(-1); /* the first record: the log file is opened now */
	usleep(1200000); /* the next record checks for a rotation */
	map = mmap(0, SIZE + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return 2;
	mprotect(map, 4096, PROT_NONE);
	st = map + 4096;
	memset(st, 0xa5, SIZE);
	ss.ss_sp = st; ss.ss_size = SIZE; ss.ss_flags = 0;
	sigaltstack(&ss, 0);
	sigaction(SIGUSR1, &sa, 0);
	raise(SIGUSR1);
	while (i < SIZE && st[i] == 0xa5)
		i++;
	printf("used %zu\n", SIZE - i);
	return 0;
}
C
${CC:-cc} -m32 -O1 -o "$WORK/prog" "$WORK/prog.c" 2>"$WORK/cc.err" || skip "cannot build a 32-bit program: $(head -1 "$WORK/cc.err")"
out=$("$WORK/prog")
rc=$?
[ $rc = 126 ] && skip "this kernel runs no 32-bit programs"
[ $rc = 0 ] || fail "bare: exit $rc"
bare=${out#used }
[ "$out" = "used $bare" ] || fail "bare: $out"
for run in "errors" "graceful SOCKSHIM_GRACEFUL=1" "sync SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MODE=sync"; do
	set -- $run
	name=$1
	shift
	out=$(SOCKSHIM_LOG="$WORK/$name.log" timeout 20 env "$@" LD_PRELOAD="$B/i386/libsockshim.so" "$WORK/prog") ||
		fail "$name: exit $? under the shim (bare: used $bare)"
	used=${out#used }
	[ "$out" = "used $used" ] || fail "$name: $out"
	check_log "$WORK/$name.log" --event double_close --count 1
	note "$name: used $used under the shim, $bare bare (+$((used - bare)))"
	[ $((used - bare)) -le $((1024 + 128)) ] ||
		fail "$name: the shim adds $((used - bare)) bytes of stack (at most 1152)"
done
