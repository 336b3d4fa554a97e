/* The shim's own descriptors.
 *
 * A slot's fd is SLOT_FREE, SLOT_BUSY while being set up or torn down, and
 * the descriptor number otherwise.  users counts the threads between
 * privfd_get and privfd_put.  Eviction and release change fd first and
 * then wait for users to drain (sequentially consistent, so either the user
 * sees the new number or the evictor sees the user).  A thread that itself
 * holds the slot (a signal handler that interrupted a log write) does not
 * wait, which would never end.
 *
 * The descriptor table marks each private number FD_PRIVATE with its slot
 * in aux, so that finding the slot of a number is one lookup. */
#define _GNU_SOURCE
#include "privfd.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/single_threaded.h>

#include "coldmem.h"
#include "fdtab.h"
#include "sys.h"

#define SLOT_FREE (-1)
#define SLOT_BUSY (-2)
#define SLOT_LOST (-3) /* its number went to the program; the owner frees it */

/* code is the slot's fd + 1, so that a free slot is all zero: the table
 * is zero-filled (after .bss, coldmem.h), its pages mapped only when used
 * (as initialised data, 1 MiB of the library file, every page the loader's
 * fault-around mapped was one more for each fork to copy). */
struct slot {
	int code;
	int users;
	void (*on_lost)(void); /* pinned: called when the number is given up */
};

static struct slot slots[PRIVFD_SLOTS] COLD_PRIVFD;

static inline int fd_load(struct slot *s)
{
	return __atomic_load_n(&s->code, __ATOMIC_SEQ_CST) - 1;
}

static inline void fd_store(struct slot *s, int fd)
{
	__atomic_store_n(&s->code, fd + 1, __ATOMIC_SEQ_CST);
}

static inline int fd_exchange(struct slot *s, int fd)
{
	return __atomic_exchange_n(&s->code, fd + 1, __ATOMIC_SEQ_CST) - 1;
}

static inline bool fd_replace(struct slot *s, int expected, int fd)
{
	int code = expected + 1;

	return __atomic_compare_exchange_n(&s->code, &code, fd + 1, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
}
static int high_water; /* one above the highest slot ever used */
/* The one slot whose number a thread of the shim blocks on (the
 * background's epoll instance, privfd_adopt_waking), and what gets that
 * thread off an old number: -1, none. */
static int waking_slot = -1;
static void (*waking_moving)(int old);
static int changing;	   /* adoptions, moves and releases in progress
			      (see privfd_before_fork) */

/* The slots this thread holds (between privfd_get and privfd_put; nested
 * when a signal handler interrupted a use): an eviction or release by the
 * same thread must not wait for itself.  Uses nest no deeper than the
 * shim's calls do. */
#define HELD_MAX 8
static __thread volatile int held[HELD_MAX] __attribute__((tls_model("initial-exec")));
static __thread volatile int n_held __attribute__((tls_model("initial-exec")));
static __thread volatile int changing_here __attribute__((tls_model("initial-exec")));

/* Around each change of a slot whose descriptor exists but is not (or no
 * longer) registered: a fork in another thread waits for it, so that the
 * child never inherits a copy that no slot names (it could not close it). */
static int forking; /* threads between privfd_before_fork and after it */

static void change_begin(void)
{
	changing_here++;
	for (;;) {
		__atomic_add_fetch(&changing, 1, __ATOMIC_SEQ_CST);
		/* A fork under way: no new change until it is made (either
		 * the fork sees this one counted, or this one sees the fork). */
		if (!__atomic_load_n(&forking, __ATOMIC_SEQ_CST) || changing_here > 1)
			return;
		__atomic_sub_fetch(&changing, 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&forking, __ATOMIC_SEQ_CST))
			sched_yield();
	}
}

static void change_end(void)
{
	__atomic_sub_fetch(&changing, 1, __ATOMIC_SEQ_CST);
	changing_here--;
}

static bool held_here(int i)
{
	for (int k = 0; k < n_held && k < HELD_MAX; k++)
		if (held[k] == i)
			return true;
	return false;
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

/* A close-on-exec copy of fd at the lowest free number >= the high base,
 * or failing that >= 3 (never 0..2, which daemons expect to reopen
 * themselves). */
static int dup_high(int fd)
{
	int nfd = sys_fcntl(fd, F_DUPFD_CLOEXEC, high_base());

	/* EINVAL: the base is above the limit; EMFILE: nothing free above it */
	if (nfd < 0 && (errno == EINVAL || errno == EMFILE))
		nfd = sys_fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return nfd;
}

static void wait_unused(int i)
{
	if (held_here(i))
		return;
	while (__atomic_load_n(&slots[i].users, __ATOMIC_SEQ_CST) > 0)
		sched_yield();
}

static void mark_private(int fd, int slot)
{
	fdtab_set_word(fd, FD_PRIVATE, (uint32_t)slot + 1);
}

static int adopt(int fd, void (*on_lost)(void))
{
	int saved = errno, nfd, found = -1, hw;

	change_begin();
	/* First fit: the slots in use stay packed at the start, so that a
	 * forked child's clean-up walks only those. */
	for (int i = 0; i < PRIVFD_SLOTS && found < 0; i++) {
		/* (a load first: a compare-and-swap of each slot in use took
		 * its line from the threads using it, hundreds of them when as
		 * many sockets linger) */
		if (fd_load(&slots[i]) == SLOT_FREE && fd_replace(&slots[i], SLOT_FREE, SLOT_BUSY))
			found = i;
	}
	if (found < 0) {
		errno = EMFILE;
		goto out;
	}
	hw = __atomic_load_n(&high_water, __ATOMIC_RELAXED);
	while (hw <= found && !__atomic_compare_exchange_n(&high_water, &hw, found + 1, true,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	nfd = dup_high(fd);
	if (nfd < 0) {
		fd_store(&slots[found], SLOT_FREE);
		found = -1;
		goto out;
	}
	slots[found].on_lost = on_lost;
	mark_private(nfd, found);
	fd_store(&slots[found], nfd);
	errno = saved;
out:
	change_end();
	return found;
}

int privfd_adopt(int fd)
{
	return adopt(fd, NULL);
}

int privfd_adopt_pinned(int fd, void (*on_lost)(void))
{
	return adopt(fd, on_lost);
}

int privfd_adopt_waking(int fd, void (*moving)(int old))
{
	int slot = adopt(fd, NULL);

	if (slot >= 0) {
		__atomic_store_n(&waking_moving, moving, __ATOMIC_RELAXED);
		__atomic_store_n(&waking_slot, slot, __ATOMIC_SEQ_CST);
	}
	return slot;
}

int privfd_get(int slot)
{
	struct slot *s = &slots[slot];
	int fd;

	/* Noted here before in users, and after out of it: a handler that
	 * interrupts in between never waits for its own thread.  The index is
	 * taken before the slot is written, so that a handler's own get/put in
	 * between uses the next one. */
	int k = n_held++;

	if (k < HELD_MAX)
		held[k] = slot;
	__atomic_add_fetch(&s->users, 1, __ATOMIC_SEQ_CST);
	fd = fd_load(s);
	if (fd < 0) {
		privfd_put(slot);
		return -1;
	}
	return fd;
}

void privfd_put(int slot)
{
	__atomic_sub_fetch(&slots[slot].users, 1, __ATOMIC_SEQ_CST);
	n_held--;
}

int privfd_peek(int slot)
{
	/* (sequentially consistent: see privfd_adopt_waking) */
	return __atomic_load_n(&slots[slot].code, __ATOMIC_SEQ_CST) - 1;
}

void privfd_release(int slot)
{
	struct slot *s = &slots[slot];
	int fd;

	change_begin();
	if (__atomic_load_n(&waking_slot, __ATOMIC_SEQ_CST) == slot)
		__atomic_store_n(&waking_slot, -1, __ATOMIC_SEQ_CST);
	fd = fd_exchange(s, SLOT_BUSY);
	if (fd >= 0) {
		wait_unused(slot);
		sys_close(fd);
		/* Cleared after the close: the number is the shim's until then.
		 * Only this slot's mark: another thread's copy may have taken
		 * the number as soon as it was closed, and marked it its own
		 * (test_regress_release_keeps_a_newer_mark). */
		fdtab_unmark_private(fd, (uint32_t)slot + 1);
	}
	s->on_lost = NULL;
	fd_store(s, SLOT_FREE);
	change_end();
}

bool privfd_is_private(int fd)
{
	return (fdtab_get(fd) & FD_PRIVATE) != 0;
}

bool privfd_evict(int fd)
{
	struct fd_entry *e = fdtab_lookup(fd);
	uint64_t w = e ? __atomic_load_n(&e->word, __ATOMIC_ACQUIRE) : 0;
	int saved = errno, i, nfd;
	struct slot *s;

	if (!(fdtab_state_of(w) & FD_PRIVATE) || fdtab_aux_of(w) == 0 ||
	    fdtab_aux_of(w) > PRIVFD_SLOTS)
		return false;
	i = (int)fdtab_aux_of(w) - 1;
	s = &slots[i];
	if (fd_load(s) != fd)
		return false; /* released meanwhile: the number is free */
	change_begin();
	if (s->on_lost) { /* pinned: the foreign library gives it up */
		s->on_lost();
		fd_store(s, SLOT_LOST);
		wait_unused(i);
		fdtab_set(fd, 0);
		change_end();
		errno = saved;
		return true;
	}
	nfd = dup_high(fd);
	if (nfd >= 0)
		mark_private(nfd, i);
	if (!fd_replace(s, fd, nfd >= 0 ? nfd : SLOT_LOST)) {
		/* Released meanwhile. */
		if (nfd >= 0) {
			fdtab_set(nfd, 0);
			sys_close(nfd);
		}
		change_end();
		errno = saved;
		return false;
	}
	/* A thread may be blocked on the old number (the background in
	 * epoll_wait, with no timeout when idle): it is got off it before the
	 * program's call takes the number.  (It read the number and then
	 * waited on it: in between, the program's own instance dup2()ed
	 * there took its place, and the background waited on that one and
	 * consumed its events: regress_linger_epoll_number_taken.) */
	if (__atomic_load_n(&waking_slot, __ATOMIC_SEQ_CST) == i) {
		void (*moving)(int) = __atomic_load_n(&waking_moving, __ATOMIC_RELAXED);

		if (moving)
			moving(fd);
	}
	wait_unused(i);
	/* The program's call replaces the old number (no number left: the
	 * call takes ours, and the owner finds the slot lost). */
	fdtab_set(fd, 0);
	change_end();
	errno = saved;
	return true;
}

void privfd_before_fork(void)
{
	/* With no other thread there is no change to wait for, and forking
	 * stays untouched: a write to its page right after the fork would be
	 * a copy-on-write fault in the parent (a forking server's every
	 * connection) and another in the child. */
	if (__libc_single_threaded && !changing_here)
		return;
	__atomic_add_fetch(&forking, 1, __ATOMIC_SEQ_CST);
	if (changing_here)
		return; /* a handler forked in the middle of this thread's own */
	while (__atomic_load_n(&changing, __ATOMIC_SEQ_CST) > 0)
		sched_yield();
}

void privfd_after_fork_parent(void)
{
	/* (0: privfd_before_fork counted nothing, there was no other thread) */
	if (__atomic_load_n(&forking, __ATOMIC_SEQ_CST) > 0)
		__atomic_sub_fetch(&forking, 1, __ATOMIC_SEQ_CST);
}

SHIM_FORK_TEXT void privfd_close_in_child(bool (*keep)(int slot))
{
	/* (each written only if it must change: every page written in a
	 * forked child is a copy-on-write fault) */
	if (n_held)
		n_held = 0;
	if (changing)
		changing = 0;
	if (changing_here)
		changing_here = 0;
	if (forking)
		forking = 0;
	if (waking_slot >= 0) /* (no thread blocks on it in the child) */
		waking_slot = -1;
	for (int i = 0; i < high_water; i++) {
		int fd = slots[i].code - 1;

		if (fd == SLOT_FREE)
			continue;
		/* Only this thread runs in the child: no other user can exist. */
		if (slots[i].users)
			slots[i].users = 0;
		/* pinned numbers are kept: the foreign library still uses them */
		if (fd >= 0 && (slots[i].on_lost || (keep && keep(i))))
			continue;
		if (fd >= 0) {
			fdtab_set(fd, 0);
			sys_close(fd);
		}
		slots[i].on_lost = NULL;
		slots[i].code = 0; /* SLOT_FREE */
	}
}
