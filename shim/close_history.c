/* The close history ring.
 *
 * A process writes a ring of its own (`own`, in .bss) until its first
 * fork.  Then, just before the fork, its ring moves into memory its
 * children share (close_history_before_fork): a fork copies no page of it
 * and makes none copy-on-write, so neither the fork, nor the child's exit,
 * nor the parent's next close pays for the pages the ring has filled (a
 * forking server's had all 73 of them after 4096 closes).  Only that
 * process writes it.  A forked child writes a private ring of its own from
 * the fork on (close_history_forked: `own` again, whose pages it has not
 * touched), its ids going on from the parent's; the ids from before the
 * fork, the only ones of the parent's it can hold, it reads from the
 * parent's shared ring, and those from before the parent's own fork from
 * the ring that one inherited (`older`, `boundary`).  So a child that
 * closes thousands of numbers (a helper closing every descriptor before
 * exec) never wipes its parent's history, and a daemon that forked once
 * before it serves gets the same as its parent (close_history_shared_by_fork,
 * close_history_not_copied).
 *
 * Writers claim an id with one atomic increment and fill slot id % SLOTS;
 * the slot's id is cleared while it is written and set last, and a reader
 * checks it before and after copying (a seqlock without a lock: a writer
 * that lapped the reader makes the copy invalid, never blocks anyone).  A
 * writer and a reader both in the middle of the same slot need 4096 closes
 * between the two; a copy torn that way is then a wrong first_backtrace, no
 * more. */
#include "close_history.h"

#include <string.h>
#include <sys/mman.h>

#include "coldmem.h"
#include "fdend.h"

struct slot {
	uint32_t id;
	uint32_t n;
	void *ips[CLOSE_HISTORY_DEPTH];
};

struct history {
	uint32_t next_id;
	uint32_t boundary;	       /* ids before it are in older's */
	const struct history *older;   /* (NULL: none) */
	char pad[64 - 2 * sizeof(uint32_t) - sizeof(void *)]; /* (the counter's line is its own) */
	struct slot ring[CLOSE_HISTORY_SLOTS];
};

/* A switch of rings leaves this many ids unused: a close that raced it
 * (another thread's, a signal handler's) on the ring before takes one of
 * them, never one the new ring hands out again. */
#define SWITCH_GAP 64
/* Inherited rings looked through at most (one per generation of forks
 * that forked again). */
#define OLDER_DEPTH 8

/* (FORK_HOT_RING: the header and the first slots on the page a forked
 * child writes anyway, coldmem.h; a child's ids start at slot 0) */
static _Alignas(64) struct history own FORK_HOT_RING;
_Static_assert((CLOSE_HISTORY_SLOTS & (CLOSE_HISTORY_SLOTS - 1)) == 0,
	       "a child's first id on slot 0 (close_history_forked)");
/* The ring this process writes: own (NULL) until its first fork. */
static struct history *hist FORK_HOT;

static struct history *writer(void)
{
	struct history *h = __atomic_load_n(&hist, __ATOMIC_ACQUIRE);

	return h ? h : &own;
}

/* How long ago id was handed out, on this process's clock (31 bits). */
static uint32_t age(uint32_t now, uint32_t id)
{
	return (now - id) & ~FDEND_ANONYMOUS;
}

void close_history_before_fork(void)
{
	struct history *h = writer(), *m;
	uint32_t next, first, count;

	if (h != &own)
		return; /* shared already */
	m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return;
	next = __atomic_load_n(&own.next_id, __ATOMIC_ACQUIRE);
	m->boundary = own.boundary;
	m->older = own.older;
	/* The slots this process wrote (and only those: a page of `own`
	 * never written is never read, so none is mapped here for the
	 * forks to copy). */
	first = own.older ? own.boundary : 1;
	count = age(next + 1, first); /* ids first..next (none: first is next + 1) */
	if (count > CLOSE_HISTORY_SLOTS) {
		first = next + 1 - CLOSE_HISTORY_SLOTS;
		count = CLOSE_HISTORY_SLOTS;
	}
	for (uint32_t k = 0; k < count; k++) {
		const struct slot *from = &own.ring[(first + k) % CLOSE_HISTORY_SLOTS];

		if (__atomic_load_n(&from->id, __ATOMIC_ACQUIRE) != 0)
			memcpy(&m->ring[(first + k) % CLOSE_HISTORY_SLOTS], from, sizeof *from);
	}
	m->next_id = next + SWITCH_GAP;
	__atomic_store_n(&hist, m, __ATOMIC_RELEASE);
}

SHIM_FORK_TEXT void close_history_forked(void)
{
	const struct history *parent = writer();

	if (parent == &own)
		return; /* the parent's ring was private: this copy goes on */
	/* From the parent's counter as it is now (its other threads may
	 * have taken ids since the fork, none of which this copy holds), on
	 * to the next id of slot 0: the first slots share the page of the
	 * header and the rest of what a forked child writes (FORK_HOT), so
	 * that a child that closes a few numbers copies one page, not two. */
	own.next_id = (__atomic_load_n(&parent->next_id, __ATOMIC_ACQUIRE) + SWITCH_GAP) |
		      (CLOSE_HISTORY_SLOTS - 1);
	own.boundary = own.next_id + 1;
	own.older = parent;
	__atomic_store_n(&hist, NULL, __ATOMIC_RELEASE);
}

/* The ring that holds id: this process's, or the one it inherited that
 * was written when id was handed out. */
static const struct history *ring_of(uint32_t id)
{
	const struct history *h = writer();
	uint32_t now = __atomic_load_n(&h->next_id, __ATOMIC_RELAXED), a = age(now, id);

	for (int depth = 0; depth < OLDER_DEPTH && h->older && a > age(now, h->boundary); depth++)
		h = h->older;
	return h;
}

static uint32_t take_id(struct history *h)
{
	uint32_t id;

	/* 0 means "none"; the top bit marks fdend's anonymous ids */
	do
		id = __atomic_add_fetch(&h->next_id, 1, __ATOMIC_RELAXED) & ~FDEND_ANONYMOUS;
	while (id == 0);
	return id;
}

uint32_t close_history_next_id(void)
{
	return take_id(writer());
}

SHIM_FORK_TEXT uint32_t close_history_record(void *const *ips, int n)
{
	struct history *h = writer();
	uint32_t id;
	struct slot *s;

	if (n > CLOSE_HISTORY_DEPTH)
		n = CLOSE_HISTORY_DEPTH;

	id = take_id(h); /* (the id and the slot from the same ring) */
	s = &h->ring[id % CLOSE_HISTORY_SLOTS];
	/* Release stores: none moves above the clearing of id (no fences:
	 * ThreadSanitizer does not model them). */
	__atomic_store_n(&s->id, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < n; i++)
		__atomic_store_n(&s->ips[i], ips[i], __ATOMIC_RELEASE);
	__atomic_store_n(&s->n, (uint32_t)n, __ATOMIC_RELEASE);
	__atomic_store_n(&s->id, id, __ATOMIC_RELEASE);
	return id;
}

int close_history_get(uint32_t id, void **ips)
{
	const struct slot *s = &ring_of(id)->ring[id % CLOSE_HISTORY_SLOTS];
	uint32_t n;

	if (id == 0 || __atomic_load_n(&s->id, __ATOMIC_ACQUIRE) != id)
		return 0;
	/* Acquire loads: the check of id below stays after them all. */
	n = __atomic_load_n(&s->n, __ATOMIC_ACQUIRE);
	if (n > CLOSE_HISTORY_DEPTH)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		ips[i] = __atomic_load_n(&s->ips[i], __ATOMIC_ACQUIRE);
	if (__atomic_load_n(&s->id, __ATOMIC_RELAXED) != id)
		return 0;
	return (int)n;
}
