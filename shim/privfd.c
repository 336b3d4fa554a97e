/* The shim's own descriptors.
 *
 * A slot's fd is -1 when free, -2 while being set up or torn down, and the
 * descriptor number otherwise.  users counts the threads between privfd_get
 * and privfd_put.  Eviction and release change fd first and then wait for
 * users to drain (sequentially consistent, so either the user sees the new
 * number or the evictor sees the user).  A thread that itself holds a slot
 * (a signal handler that interrupted a log write) does not wait, which would
 * never end. */
#define _GNU_SOURCE
#include "privfd.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#include "fdtab.h"
#include "libc.h"

#define SLOT_FREE (-1)
#define SLOT_BUSY (-2)
#define SLOT_LOST (-3) /* its number went to the program; the owner frees it */

struct slot {
	int fd;
	int users;
	void (*on_lost)(void); /* pinned: called when the number is given up */
};

static struct slot slots[PRIVFD_SLOTS] = {[0 ... PRIVFD_SLOTS - 1] = {SLOT_FREE, 0, NULL}};
/* How many uses of each slot this thread has open (between privfd_get and
 * privfd_put; more than one when a signal handler interrupted a use): an
 * eviction or release by the same thread must not wait for itself. */
static __thread uint8_t held_by_me[PRIVFD_SLOTS] __attribute__((tls_model("initial-exec")));

static bool held_here(int i)
{
	return held_by_me[i] > 0;
}

/* The lowest number the shim prefers: well above what a program usually
 * has open, below the common soft limit of 1024. */
static int high_base(void)
{
	static int base;
	int b = __atomic_load_n(&base, __ATOMIC_RELAXED);
	struct rlimit rl;

	if (b == 0) {
		b = 960;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 1024)
			b = rl.rlim_cur > 64 ? (int)rl.rlim_cur - 32 : 3;
		__atomic_store_n(&base, b, __ATOMIC_RELAXED);
	}
	return b;
}

/* A close-on-exec copy of fd at the lowest free number >= min, or failing
 * that >= 3 (never 0..2, which daemons expect to reopen themselves). */
static int dup_from(int fd, int min)
{
	int nfd = libc_fcntl(fd, F_DUPFD_CLOEXEC, (void *)(long)min);

	if (nfd < 0 && min > 3)
		nfd = libc_fcntl(fd, F_DUPFD_CLOEXEC, (void *)(long)3);
	return nfd;
}

static void wait_unused(int i)
{
	if (held_here(i))
		return;
	while (__atomic_load_n(&slots[i].users, __ATOMIC_SEQ_CST) > 0)
		sched_yield();
}

static int adopt(int fd, void (*on_lost)(void))
{
	int saved = errno;
	int nfd = dup_from(fd, high_base());

	if (nfd < 0)
		return -1;
	for (int i = 0; i < PRIVFD_SLOTS; i++) {
		int expected = SLOT_FREE;

		if (__atomic_compare_exchange_n(&slots[i].fd, &expected, SLOT_BUSY, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			slots[i].on_lost = on_lost;
			fdtab_set(nfd, FD_KNOWN | FD_PRIVATE);
			__atomic_store_n(&slots[i].fd, nfd, __ATOMIC_SEQ_CST);
			errno = saved;
			return i;
		}
	}
	sys_close(nfd);
	errno = EMFILE;
	return -1;
}

int privfd_adopt(int fd)
{
	return adopt(fd, NULL);
}

int privfd_adopt_pinned(int fd, void (*on_lost)(void))
{
	return adopt(fd, on_lost);
}

int privfd_get(int slot)
{
	struct slot *s = &slots[slot];
	int fd;

	/* Counted here before in users, and after out of it: a handler that
	 * interrupts in between never waits for its own thread. */
	held_by_me[slot]++;
	__atomic_add_fetch(&s->users, 1, __ATOMIC_SEQ_CST);
	fd = __atomic_load_n(&s->fd, __ATOMIC_SEQ_CST);
	if (fd < 0) {
		__atomic_sub_fetch(&s->users, 1, __ATOMIC_SEQ_CST);
		held_by_me[slot]--;
		return -1;
	}
	return fd;
}

void privfd_put(int slot)
{
	__atomic_sub_fetch(&slots[slot].users, 1, __ATOMIC_SEQ_CST);
	held_by_me[slot]--;
}

int privfd_peek(int slot)
{
	return __atomic_load_n(&slots[slot].fd, __ATOMIC_ACQUIRE);
}

void privfd_release(int slot)
{
	struct slot *s = &slots[slot];
	int fd = __atomic_exchange_n(&s->fd, SLOT_BUSY, __ATOMIC_SEQ_CST);

	if (fd >= 0) {
		wait_unused(slot);
		fdtab_set(fd, 0);
		sys_close(fd);
	}
	__atomic_store_n(&s->fd, SLOT_FREE, __ATOMIC_SEQ_CST);
}

bool privfd_is_private(int fd)
{
	return (fdtab_get(fd) & FD_PRIVATE) != 0;
}

enum privfd_evicted privfd_evict(int fd, bool surrender)
{
	int saved = errno;
	enum privfd_evicted result = PRIVFD_NOT_PRIVATE;

	if (!privfd_is_private(fd))
		return PRIVFD_NOT_PRIVATE;
	for (int i = 0; i < PRIVFD_SLOTS; i++) {
		struct slot *s = &slots[i];
		int expected = fd;
		int nfd;

		if (__atomic_load_n(&s->fd, __ATOMIC_SEQ_CST) != fd)
			continue;
		if (s->on_lost) { /* pinned */
			if (!surrender) {
				errno = saved;
				return PRIVFD_PINNED;
			}
			s->on_lost();
			__atomic_store_n(&s->fd, SLOT_LOST, __ATOMIC_SEQ_CST);
			result = PRIVFD_MOVED;
			continue;
		}
		/* Above fd first: a program closing every number upwards
		 * then meets the descriptor again only near its limit. */
		nfd = dup_from(fd, fd + 1);
		if (nfd >= 0)
			fdtab_set(nfd, FD_KNOWN | FD_PRIVATE);
		if (!__atomic_compare_exchange_n(&s->fd, &expected, nfd >= 0 ? nfd : SLOT_LOST,
						 false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			/* Released meanwhile. */
			if (nfd >= 0) {
				fdtab_set(nfd, 0);
				sys_close(nfd);
			}
			continue;
		}
		wait_unused(i);
		/* no number left: the program's call takes ours, the owner
		 * finds the slot lost and frees it */
		result = PRIVFD_MOVED;
	}
	fdtab_clear(fd, FD_PRIVATE);
	errno = saved;
	return result;
}

int privfd_numbers(int *out, int max)
{
	int n = 0;

	for (int i = 0; i < PRIVFD_SLOTS && n < max; i++) {
		int fd = __atomic_load_n(&slots[i].fd, __ATOMIC_SEQ_CST);
		int j;

		if (fd < 0)
			continue;
		/* insertion sort: the registry is small and rarely read */
		for (j = n; j > 0 && out[j - 1] > fd; j--)
			out[j] = out[j - 1];
		out[j] = fd;
		n++;
	}
	return n;
}

void privfd_close_in_child(bool (*keep)(int slot))
{
	memset(held_by_me, 0, sizeof held_by_me);
	for (int i = 0; i < PRIVFD_SLOTS; i++) {
		int fd = slots[i].fd;

		/* Only this thread runs in the child: no other user can exist. */
		slots[i].users = 0;
		/* pinned numbers are kept: the foreign library still uses them */
		if (fd == SLOT_FREE || (fd >= 0 && (slots[i].on_lost || (keep && keep(i)))))
			continue;
		if (fd >= 0) {
			fdtab_set(fd, 0);
			sys_close(fd);
		}
		slots[i].fd = SLOT_FREE;
	}
}
