/* The decisions of a close (see fdend.h). */
#include "fdend.h"

#include <errno.h>

#include "coldmem.h"

/* The id of a close that keeps no history: unique among the claims in
 * progress at once (two claims writing the same word could not tell each
 * other apart), with the top bit set so that it never names a
 * close_history entry.  Those claims live at once, each in its own frame:
 * the address of c tells them apart (two such frames 16 GiB apart to the
 * byte would alias) with no write to any shared word, which a counter
 * cost every close (a locked add, and in a forked child one more
 * copy-on-write page). */
static uint32_t anonymous_id(const struct fdend *c)
{
	return FDEND_ANONYMOUS | ((uint32_t)((uintptr_t)c >> 3) & ~FDEND_ANONYMOUS);
}

SHIM_FORK_TEXT uint32_t fdend_claim(struct fdend *c, int fd, uint32_t close_id)
{
	if (close_id == 0)
		close_id = anonymous_id(c);
	c->fd = fd;
	c->e = fdtab_lookup(fd);
	c->mine = fdtab_word_of(FD_CLOSED, close_id);
	c->before = c->e ? __atomic_exchange_n(&c->e->word, c->mine, __ATOMIC_ACQ_REL) : 0;
	return fdtab_state_of(c->before);
}

void fdend_unclaim(struct fdend *c)
{
	uint64_t mine = c->mine;

	if (c->e)
		__atomic_compare_exchange_n(&c->e->word, &mine, c->before, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_RELAXED);
}

SHIM_FORK_TEXT enum fdend_plan fdend_plan(uint32_t st, const struct config *cfg)
{
	if (!(st & FD_SOCKET) || (st & (FD_CLOSED | FD_PRIVATE)) || !cfg->sockets_watched)
		return FDEND_PLAIN;
	if (st & FD_TCP) {
		bool last = (st & (FD_CREATED | FD_SHARED)) == FD_CREATED;

		/* Graceful: only the last reference the shim knows of, unless
		 * asked for always (a forking server whose parent closes its
		 * copy first would then cut the child's connection). */
		if (cfg->graceful == GRACEFUL_ALWAYS || (cfg->graceful == GRACEFUL_ON && last))
			return FDEND_LINGER;
		if (cfg->events >= EVENTS_ERRORS)
			return last ? FDEND_PROBE : FDEND_PROBE_SHARED;
	}
	return FDEND_PLAIN;
}

/* Puts word back in the entry if it still holds this close's. */
static void put_back(struct fdend *c, uint64_t word)
{
	uint64_t mine = c->mine;

	__atomic_compare_exchange_n(&c->e->word, &mine, word, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_RELAXED);
}

/* Whether close id b was taken after id a.  Ids are 31 bits and wrap
 * (close_history's counter without FDEND_ANONYMOUS, 0 skipped): "after" is
 * within half the circle ahead, so that two ids on either side of the wrap
 * compare as they were taken. */
static bool id_after(uint32_t b, uint32_t a)
{
	uint32_t ahead = (b - a) & ~FDEND_ANONYMOUS;

	return ahead != 0 && ahead < (FDEND_ANONYMOUS >> 1);
}

/* The id of a close as the verdict reports it (none for an anonymous one). */
static uint32_t reported_id(uint32_t id)
{
	return (id & FDEND_ANONYMOUS) ? 0 : id;
}

enum fdend_verdict fdend_finish(struct fdend *c, int ret, int err, uint32_t after_id,
				uint32_t *first_id)
{
	uint64_t now;

	*first_id = 0;
	if (ret == 0 || err != EBADF) {
		/* The number was real and is gone (Linux frees it even when
		 * close fails with EINTR or EIO).  One the table had nothing
		 * near is recorded now, unless another thread has got it back
		 * meanwhile. */
		if (!c->e && (c->e = fdtab_make(c->fd)) != NULL) {
			uint64_t none = 0;

			__atomic_compare_exchange_n(&c->e->word, &none, c->mine, false,
						    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
		}
		return ret == 0 ? FDEND_OK : FDEND_CLOSE_ERROR;
	}
	if (!c->e)
		return FDEND_CLOSE_ERROR;
	if (fdtab_state_of(c->before) & FD_CLOSED) {
		/* Closed before by this process: the earlier close stays the
		 * one a later double close points at. */
		*first_id = reported_id(fdtab_aux_of(c->before));
		put_back(c, c->before);
		return FDEND_DOUBLE_CLOSE;
	}
	now = __atomic_load_n(&c->e->word, __ATOMIC_ACQUIRE);
	if (now != c->mine && (fdtab_state_of(now) & FD_CLOSED)) {
		uint32_t other = fdtab_aux_of(now);

		/* Another thread's close of the same number, numbered after this
		 * one's real close had returned: it closed a later descriptor
		 * (the number was reused meanwhile), not this one's. */
		if (after_id && !(other & FDEND_ANONYMOUS) && id_after(other, after_id))
			return FDEND_CLOSE_ERROR;
		/* Otherwise it claimed after this one but reached the kernel
		 * first: this is the second close. */
		*first_id = reported_id(other);
		return FDEND_DOUBLE_CLOSE;
	}
	put_back(c, 0); /* never open as far as anyone can tell */
	return FDEND_CLOSE_ERROR;
}

struct range_ctx {
	uint32_t id;
};

static bool close_one(int fd, uint32_t st, void *ctx)
{
	struct fd_entry *e = fdtab_lookup(fd);
	uint64_t w;

	(void)st;
	if (!e)
		return true;
	w = __atomic_load_n(&e->word, __ATOMIC_ACQUIRE);
	/* The shim's own numbers are not in the ranges it runs (close_path.c
	 * splits around them); one that moved meanwhile keeps its mark. */
	while (!(fdtab_state_of(w) & (FD_CLOSED | FD_PRIVATE)) &&
	       !__atomic_compare_exchange_n(&e->word, &w,
					    fdtab_word_of(FD_CLOSED, ((struct range_ctx *)ctx)->id),
					    true, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	return true;
}

void fdend_range(int lo, int hi, uint32_t close_id)
{
	struct range_ctx ctx = {close_id};

	fdtab_each(lo, hi, ~(uint32_t)(FD_CLOSED | FD_PRIVATE), close_one, &ctx);
}
