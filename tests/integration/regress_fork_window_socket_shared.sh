# Regression: a TCP socket another thread made while a fork was being
# prepared (after the shim's pthread_atfork prepare handler had marked the
# sockets shared, before the fork itself) was in the child's table as the
# child's alone.  Under SOCKSHIM_GRACEFUL=1 the child's _exit (or close)
# then ended the parent's connection gracefully: shut it down (the peer got
# a FIN while the parent still used it) and drained it, swallowing the
# answer the parent was waiting for.  Found by an acceptance re-check: a
# thread forking children while the main thread answered connections lost
# 11-18 answers of 3000 (the client read EOF and 0 bytes).
#
# Deterministic here: a prepare handler of the program's own (registered
# by a library's constructor, before the shim's, so it runs after the
# shim's) lets a thread make and connect the socket inside that window.
#
# Before: "graceful=1: the server saw EOF from the client (bare: nothing);
# the client read 0 bytes (bare: 6), then EOF".
. "$(dirname "$0")/../lib.sh"

cat >"$WORK/hook.c" <<'C'
#include <pthread.h>
void (*fork_hook)(void);
static void prep(void) { if (fork_hook) fork_hook(); }
__attribute__((constructor)) static void ctor(void) { pthread_atfork(prep, 0, 0); }
C
cat >"$WORK/prog.c" <<'C'
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
extern void (*fork_hook)(void);
static struct sockaddr_in a = {.sin_family = AF_INET};
static int cfd = -1;
static void *maker(void *arg)
{
	(void)arg;
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(cfd, (void *)&a, sizeof a)) { perror("connect"); exit(2); }
	return 0;
}
static void hook(void)
{
	pthread_t t;
	pthread_create(&t, 0, maker, 0);
	pthread_join(t, 0);
}
int main(void)
{
	socklen_t n = sizeof a;
	int l = socket(AF_INET, SOCK_STREAM, 0), s, pr;
	long got = 0;
	ssize_t r;
	char b[64];
	struct pollfd p;
	pid_t k;

	signal(SIGPIPE, SIG_IGN);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(l, (void *)&a, sizeof a) || listen(l, 8) || getsockname(l, (void *)&a, &n))
		return 2;
	fork_hook = hook;
	k = fork();
	if (k == 0) {
		usleep(100000);
		_exit(0);
	}
	fork_hook = 0;
	s = accept(l, 0, 0);
	if (write(s, "answer", 6) != 6)
		return 3;
	/* while the child ends: does the parent's socket send a FIN? */
	p.fd = s; p.events = POLLIN;
	pr = poll(&p, 1, 400);
	printf("server saw %s;", pr == 0 ? "nothing" : read(s, b, sizeof b) == 0 ? "EOF" : "bytes");
	waitpid(k, 0, 0);
	close(s);
	p.fd = cfd;
	while (poll(&p, 1, 3000) == 1 && (r = read(cfd, b, sizeof b)) > 0)
		got += r;
	printf(" client read %ld bytes\n", got);
	return 0;
}
C
${CC:-cc} -shared -fPIC -o "$WORK/libhook.so" "$WORK/hook.c" || fail "cannot build the hook library"
${CC:-cc} -pthread -o "$WORK/prog" "$WORK/prog.c" -L"$WORK" -lhook -Wl,-rpath,"$WORK" || fail "cannot build the program"

want="server saw nothing; client read 6 bytes"
out=$(timeout 20 "$WORK/prog") || fail "bare: exit $?"
[ "$out" = "$want" ] || fail "bare: $out"
for graceful in 0 1; do
	out=$(SOCKSHIM_GRACEFUL=$graceful SOCKSHIM_LOG="$WORK/log$graceful" timeout 20 env $SAN_VARS \
		LD_PRELOAD="$PRELOAD" "$WORK/prog") || fail "graceful=$graceful: exit $?"
	[ "$out" = "$want" ] || fail "graceful=$graceful: '$out' (bare: '$want')"
done
note "the child's end of a socket made while the fork was prepared left the parent's connection alone"
