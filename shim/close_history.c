/* The close history ring.
 *
 * The ring and its id counter live in memory the fork tree shares
 * (close_history_init): a fork copies no page of it and makes none
 * copy-on-write, so neither the fork, nor the child's exit, nor the next
 * close on either side pays for the pages the ring has filled (a forking
 * server's had all 73 of them after 4096 closes).  Ids come from the one
 * counter, so each is one process's: a process reads only the slots of
 * ids it got itself, or inherited with the fork (written before it, in
 * the same address space); the others' closes only make the ring turn
 * over sooner.
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

/* This process's own until close_history_init, or if it could not map
 * the shared one. */
static struct history own;
static struct history *hist = &own;

void close_history_init(void)
{
	struct history *m;

	if (__atomic_load_n(&hist, __ATOMIC_ACQUIRE) != &own)
		return;
	m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return;
	/* the clock goes on from where it was (fdend compares ids) */
	m->next_id = __atomic_load_n(&own.next_id, __ATOMIC_RELAXED);
	__atomic_store_n(&hist, m, __ATOMIC_RELEASE);
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
	const struct slot *s = &__atomic_load_n(&hist, __ATOMIC_ACQUIRE)->ring[id % CLOSE_HISTORY_SLOTS];
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
