/* Counting the references a fork tree holds of a socket (see sharecount.h).
 *
 * An open-addressing table of (cookie, count) in a MAP_SHARED anonymous
 * mapping made before the first fork, so that every process of the tree
 * sees the same counts; atomic operations only (they work across
 * processes on shared memory), no lock a forked child could find held.
 * Slots are never freed: a cookie is never reused while the system runs,
 * and an entry that could vanish would let a later lookup miss it and
 * start a second, lower count of the same socket. */
#define _GNU_SOURCE
#include "sharecount.h"

#include <errno.h>
#include <sys/mman.h>

#include "config.h"
#include "fdtab.h"

/* A count this high is never brought down to 1 again. */
#define PINNED (1LL << 40)

struct slot {
	uint64_t cookie; /* 0: free */
	int64_t count;
};

static struct slot *table;

void sharecount_init(void)
{
	void *t;
	int saved = errno;

	if (shim_cfg.graceful == GRACEFUL_OFF || table)
		return;
	t = mmap(NULL, SHARECOUNT_SLOTS * sizeof(struct slot), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (t != MAP_FAILED)
		table = t;
	errno = saved;
}

/* The slot of cookie; made if asked (NULL: none, or the table is full). */
static struct slot *find(uint64_t cookie, bool make)
{
	uint64_t h = cookie * 0x9e3779b97f4a7c15ull;

	if (!table || cookie == 0)
		return NULL;
	for (uint32_t i = 0; i < 64; i++) { /* a bounded probe: beyond, not counted */
		struct slot *s = &table[(h + i) & (SHARECOUNT_SLOTS - 1)];
		uint64_t c = __atomic_load_n(&s->cookie, __ATOMIC_ACQUIRE), none = 0;

		if (c == cookie)
			return s;
		if (c != 0)
			continue;
		if (!make)
			return NULL;
		if (__atomic_compare_exchange_n(&s->cookie, &none, cookie, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE) ||
		    none == cookie)
			return s;
	}
	return NULL;
}

static bool fork_one(int fd, uint32_t st, void *ctx)
{
	uint64_t cookie = fdtab_cookie(fd);
	struct slot *s;

	(void)ctx;
	if ((st & (FD_CLOSED | FD_PRIVATE)) || !(st & FD_TCP) || cookie == 0)
		return true;
	if (st & FD_COUNTED) {
		sharecount_add(cookie);
		return true;
	}
	/* Counted from now on; a socket some other holder got without a fork
	 * (dup'd before, passed) was marked shared already: pinned. */
	s = find(cookie, true);
	if (!s)
		return true;
	__atomic_add_fetch(&s->count, (st & FD_SHARED) ? PINNED : 2, __ATOMIC_ACQ_REL);
	fdtab_or(fd, FD_COUNTED);
	return true;
}

void sharecount_fork(void)
{
	if (table)
		fdtab_each(0, fdtab_program_limit() - 1, FD_TCP, fork_one, NULL);
}

void sharecount_add(uint64_t cookie)
{
	struct slot *s = find(cookie, false);

	if (s)
		__atomic_add_fetch(&s->count, 1, __ATOMIC_ACQ_REL);
}

void sharecount_pin(uint64_t cookie)
{
	struct slot *s = find(cookie, false);

	if (s)
		__atomic_add_fetch(&s->count, PINNED, __ATOMIC_ACQ_REL);
}

static bool pin_one(int fd, uint32_t st, void *ctx)
{
	(void)ctx;
	if ((st & FD_COUNTED) && !(st & (FD_CLOSED | FD_PRIVATE)))
		sharecount_pin(fdtab_cookie(fd));
	return true;
}

void sharecount_exec(void)
{
	if (table)
		fdtab_each(0, fdtab_program_limit() - 1, FD_TCP, pin_one, NULL);
}

bool sharecount_followed(int fd, uint32_t st)
{
	struct slot *s;

	if (!(st & FD_COUNTED) || !(s = find(fdtab_cookie(fd), false)))
		return false;
	return __atomic_load_n(&s->count, __ATOMIC_ACQUIRE) < PINNED;
}

bool sharecount_last(int fd, uint32_t st)
{
	struct slot *s;

	if (!(st & FD_COUNTED) || !(s = find(fdtab_cookie(fd), false)))
		return false;
	return __atomic_load_n(&s->count, __ATOMIC_ACQUIRE) == 1;
}

void sharecount_release(uint64_t cookie)
{
	struct slot *s = find(cookie, false);

	if (s)
		__atomic_sub_fetch(&s->count, 1, __ATOMIC_ACQ_REL);
}
