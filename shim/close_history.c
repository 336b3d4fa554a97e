/* The close history ring.
 *
 * The ring of the process the program started as lives in memory its fork
 * tree shares (close_history_init): a fork copies no page of it and makes
 * none copy-on-write, so neither the fork, nor the child's exit, nor the
 * parent's next close pays for the pages the ring has filled (a forking
 * server's had all 73 of them after 4096 closes).  Only that process
 * writes it.  A forked child writes a ring of its own from the fork on
 * (close_history_forked: the private one, whose pages it has not touched
 * yet), its ids going on from the parent's; it reads the ids from before
 * the fork, the only ones of the parent's it can hold, from the shared
 * ring.  So a child that closes thousands of numbers (a helper closing
 * every descriptor before exec) never wipes its parent's history
 * (close_history_shared_by_fork).
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

#include "fdend.h"

struct slot {
	uint32_t id;
	uint32_t n;
	void *ips[CLOSE_HISTORY_DEPTH];
};

struct history {
	uint32_t next_id;
	char pad[64 - sizeof(uint32_t)]; /* (the counter's line is its own) */
	struct slot ring[CLOSE_HISTORY_SLOTS];
};

/* The ring this process writes: its own private one until
 * close_history_init maps the shared one (or if that failed), and again
 * in a forked child. */
static struct history own;
static struct history *hist = &own;
/* In a forked child: the shared ring, which holds the ids before
 * `boundary`. */
static const struct history *inherited;
static uint32_t boundary;

void close_history_init(void)
{
	struct history *m;

	if (__atomic_load_n(&hist, __ATOMIC_ACQUIRE) != &own || inherited)
		return;
	m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return;
	/* the clock goes on from where it was (fdend compares ids) */
	m->next_id = __atomic_load_n(&own.next_id, __ATOMIC_RELAXED);
	__atomic_store_n(&hist, m, __ATOMIC_RELEASE);
}

void close_history_forked(void)
{
	const struct history *shared = __atomic_load_n(&hist, __ATOMIC_ACQUIRE);

	if (shared == &own)
		return; /* a child's child: its own ring is already private */
	/* (from the parent's counter as it is now: its other threads may
	 * have taken ids since the fork, none of which this copy holds) */
	own.next_id = __atomic_load_n(&shared->next_id, __ATOMIC_RELAXED);
	boundary = own.next_id + 1;
	inherited = shared;
	__atomic_store_n(&hist, &own, __ATOMIC_RELEASE);
}

/* The ring that holds id. */
static const struct history *ring_of(uint32_t id)
{
	/* ids are 31 bits (close_history_next_id): id - boundary, shifted
	 * into the sign, is negative for an id before the boundary */
	if (inherited && (int32_t)((id - boundary) << 1) < 0)
		return inherited;
	return __atomic_load_n(&hist, __ATOMIC_ACQUIRE);
}

uint32_t close_history_next_id(void)
{
	struct history *h = __atomic_load_n(&hist, __ATOMIC_ACQUIRE);
	uint32_t id;

	/* 0 means "none"; the top bit marks fdend's anonymous ids */
	do
		id = __atomic_add_fetch(&h->next_id, 1, __ATOMIC_RELAXED) & ~FDEND_ANONYMOUS;
	while (id == 0);
	return id;
}

uint32_t close_history_record(void *const *ips, int n)
{
	uint32_t id;
	struct slot *s;

	if (n > CLOSE_HISTORY_DEPTH)
		n = CLOSE_HISTORY_DEPTH;

	id = close_history_next_id();
	s = &__atomic_load_n(&hist, __ATOMIC_ACQUIRE)->ring[id % CLOSE_HISTORY_SLOTS];
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
