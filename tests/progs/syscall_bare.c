/* syscall() used as runtimes use it, printed so that the output bare and
 * under the shim can be compared line by line:
 * - numbers the shim has nothing to do with (gettid, futex with all six
 *   arguments, getrandom, an unknown number): same results and errno, and
 *   errno untouched after a success;
 * - syscall() is not a cancellation point (libuv's uv__close_nocancel
 *   relies on it): a thread with a cancellation pending makes a futex wait
 *   and a close of a socket through syscall() and both happen;
 * - the numbers of the calls the shim interposes, error cases included. */
#include "progs.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>

#define SHOW(what, call)                                                             \
	do {                                                                         \
		errno = EXDEV;                                                       \
		long ret_ = (long)(call);                                            \
		int err_ = errno;                                                    \
		printf("%-48s -> %ld %s\n", what, ret_,                              \
		       strerrorname_np(err_) ? strerrorname_np(err_) : "?");         \
	} while (0)

static int word = 1, word2 = 2;

/* What the waiter saw, printed by main (printf is a cancellation point). */
static long futex_r = 99, close_r = 99, still_open = 99;
static int futex_err = EXDEV, close_err = EXDEV;

static void *waiter(void *arg)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	int *sock = arg;

	/* cancellation is pending: neither call may act on it */
	errno = 0;
	futex_r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0);
	futex_err = errno;
	errno = 0;
	close_r = syscall(SYS_close, *sock);
	close_err = errno;
	still_open = fcntl(*sock, F_GETFD) != -1;
	pthread_testcancel();
	futex_r = 1000; /* not cancelled at the test? */
	return NULL;
}

int main(void)
{
	struct timespec ts = {0, 1000 * 1000};
	unsigned char rnd[32];
	int tcp, lfd, sv[2], port, one = 1, sock;
	pthread_t t;
	void *res;

	setvbuf(stdout, NULL, _IOLBF, 0);
	SHOW("gettid matches", syscall(SYS_gettid) == gettid());
	SHOW("getpid matches", syscall(SYS_getpid) == getpid());
	SHOW("getrandom(32)", syscall(SYS_getrandom, rnd, sizeof rnd, 0));
	SHOW("getrandom(bad flags)", syscall(SYS_getrandom, rnd, sizeof rnd, 0x7fff));
	SHOW("futex wake (nobody waits)", syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
	SHOW("futex wait (value differs)", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
	SHOW("futex wait (times out)", syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0));
	/* the sixth argument matters: val3 is compared with *uaddr */
	SHOW("futex cmp_requeue (val3 = *uaddr)",
	     syscall(SYS_futex, &word, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1L, &word2, 1));
	SHOW("futex cmp_requeue (val3 != *uaddr)",
	     syscall(SYS_futex, &word, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1L, &word2, 7));
	SHOW("unknown number", syscall(100000, 1, 2, 3, 4, 5, 6));
	SHOW("negative number", syscall(-5));

	/* syscall() is no cancellation point */
	sock = socket(AF_INET, SOCK_STREAM, 0);
	pthread_create(&t, NULL, waiter, &sock);
	pthread_cancel(t);
	pthread_join(t, &res);
	SHOW("waiter cancelled at its test", res == PTHREAD_CANCELED);
	printf("%-48s -> %ld %s\n", "futex wait, cancel pending", futex_r, strerrorname_np(futex_err));
	printf("%-48s -> %ld %s\n", "close(socket), cancel pending", close_r, strerrorname_np(close_err));
	printf("%-48s -> %ld\n", "socket still open after it", still_open);

	/* the interposed numbers, through syscall() */
	SHOW("socket(inet, stream)", tcp = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0));
	SHOW("socket(bad family)", syscall(SYS_socket, -1, SOCK_STREAM, 0));
	SHOW("socketpair(unix)", syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, sv));
	SHOW("setsockopt(SO_REUSEADDR)", syscall(SYS_setsockopt, tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	SHOW("setsockopt(bad level)", syscall(SYS_setsockopt, tcp, 9999, 1, &one, sizeof one));
	SHOW("shutdown(unconnected)", syscall(SYS_shutdown, tcp, SHUT_RDWR));
	SHOW("shutdown(bad fd)", syscall(SYS_shutdown, 999, SHUT_RDWR));
	SHOW("accept4(not listening)", syscall(SYS_accept4, tcp, NULL, NULL, SOCK_CLOEXEC));
	SHOW("accept(bad fd)", syscall(SYS_accept, -1, NULL, NULL));
	lfd = listen_loopback(0, &port);
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	SHOW("accept(nobody waiting)", syscall(SYS_accept, lfd, NULL, NULL));
	SHOW("dup", syscall(SYS_dup, tcp) > 0);
	SHOW("dup(bad)", syscall(SYS_dup, -1));
	SHOW("dup2(tcp, 200)", syscall(SYS_dup2, tcp, 200));
	SHOW("dup2(bad, 201)", syscall(SYS_dup2, 777, 201));
	SHOW("dup3(tcp, 202, cloexec)", syscall(SYS_dup3, tcp, 202, O_CLOEXEC));
	SHOW("dup3(same)", syscall(SYS_dup3, tcp, tcp, 0));
	SHOW("dup3(bad flags)", syscall(SYS_dup3, tcp, 203, 0x4));
	SHOW("fcntl(F_DUPFD, 300)", syscall(SYS_fcntl, tcp, F_DUPFD, 300));
	SHOW("fcntl(F_GETFD)", syscall(SYS_fcntl, 202, F_GETFD));
	SHOW("fcntl(bad fd)", syscall(SYS_fcntl, 999, F_GETFD));
	SHOW("sendmsg(bad fd)", syscall(SYS_sendmsg, 999, NULL, 0));
	SHOW("recvmsg(bad fd)", syscall(SYS_recvmsg, 999, NULL, 0));
	SHOW("recvmsg(nothing, MSG_DONTWAIT)", syscall(SYS_recvmsg, sv[0], &(struct msghdr){0}, MSG_DONTWAIT));
	SHOW("recvmmsg(bad fd)", syscall(SYS_recvmmsg, 999, NULL, 1, 0, NULL));
	SHOW("pidfd_getfd(bad pidfd)", syscall(SYS_pidfd_getfd, 999, 0, 0));
	SHOW("epoll_create1", syscall(SYS_epoll_create1, 0) > 0);
	SHOW("epoll_create1(bad)", syscall(SYS_epoll_create1, 0x1234));
	SHOW("close(200)", syscall(SYS_close, 200));
	SHOW("close(200) again", syscall(SYS_close, 200));
	SHOW("close(-1)", syscall(SYS_close, -1));
	SHOW("close_range(bad flags)", syscall(SYS_close_range, 300, 301, 0x40));
	SHOW("close_range(first > last)", syscall(SYS_close_range, 302, 301, 0));
	SHOW("close_range(300, 300)", syscall(SYS_close_range, 300, 300, 0));
	SHOW("close(300) after its range", syscall(SYS_close, 300));
	SHOW("close(tcp)", syscall(SYS_close, tcp));
	return 0;
}
