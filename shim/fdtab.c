/* The descriptor table.
 *
 * Two levels: a static array of chunk pointers (zero-filled, so only the
 * pages that are touched take memory; after .bss, coldmem.h) and chunks of
 * FDTAB_CHUNK entries mapped with mmap(2) on first use.  A chunk is
 * installed with compare-and-swap; a thread that loses the race unmaps its
 * own.  Chunks are never freed: descriptor numbers are reused, and a forked
 * child inherits them with the rest of memory. */
#define _GNU_SOURCE
#include "fdtab.h"

#include <limits.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "coldmem.h"
#include "sys.h"

struct fd_entry *fdtab_chunks[FDTAB_CHUNKS] COLD_FDTAB;
#define chunks fdtab_chunks
static int limit; /* one above the highest number recorded */
/* ... of the program's: the shim's private numbers sit at the top of the
 * range, and every fork marks the program's sockets (below this). */
static int program_limit;

static void raise_to(int *lim, int fd)
{
	int seen = __atomic_load_n(lim, __ATOMIC_RELAXED);

	/* saturates at INT_MAX: INT_MAX itself is never a descriptor */
	while (__builtin_expect(fd >= seen, 0) && fd < INT_MAX &&
	       !__atomic_compare_exchange_n(lim, &seen, fd + 1, true, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

uint32_t fdtab_socket_state(int domain, int type, int protocol)
{
	uint32_t st = FD_SOCKET | FD_CREATED |
		      (type & SOCK_CLOEXEC ? FD_CLOSE_ON_EXEC : 0);
	enum fd_family fam;
	enum fd_type ty;

	switch (domain) {
	case AF_INET: fam = FAM_INET; break;
	case AF_INET6: fam = FAM_INET6; break;
	case AF_UNIX: fam = FAM_UNIX; break;
	default: fam = FAM_OTHER; break;
	}
	switch (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) {
	case SOCK_STREAM: ty = TYPE_STREAM; break;
	case SOCK_DGRAM: ty = TYPE_DGRAM; break;
	case SOCK_SEQPACKET: ty = TYPE_SEQPACKET; break;
	default: ty = TYPE_OTHER; break;
	}
	st |= (uint32_t)fam << FD_FAMILY_SHIFT | (uint32_t)ty << FD_TYPE_SHIFT;
	/* A stream socket of an inet family is TCP unless the program asked
	 * for another protocol (SCTP, MPTCP). */
	if ((fam == FAM_INET || fam == FAM_INET6) && ty == TYPE_STREAM &&
	    (protocol == 0 || protocol == IPPROTO_TCP))
		st |= FD_TCP;
	return st;
}

uint32_t fdtab_probe(int fd)
{
	int domain, type, protocol;
	socklen_t len = sizeof domain;

	if (sys_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0)
		return 0;
	len = sizeof type;
	if (sys_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0)
		return 0;
	len = sizeof protocol;
	if (sys_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0)
		protocol = 0;
	return fdtab_socket_state(domain, type, protocol) & ~FD_CREATED;
}

uint32_t fdtab_learn(int fd)
{
	uint32_t st = fdtab_probe(fd);

	fdtab_set(fd, st); /* 0 for a number that is no socket (any more) */
	return st;
}

/* The entry of fd, its chunk made if needed; NULL if fd < 0 or out of
 * memory (then the number stays unknown, which is always safe).  A number
 * of the program's (not one of the shim's private ones) raises
 * program_limit too. */
SHIM_FORK_TEXT static struct fd_entry *slot_of(int fd, bool programs)
{
	struct fd_entry *e = fdtab_lookup(fd);
	struct fd_entry *chunk, *expected = NULL;

	if (e)
		goto done;
	if (fd < 0)
		return NULL;
	chunk = mmap(NULL, FDTAB_CHUNK * sizeof *chunk, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (chunk == MAP_FAILED)
		return NULL;
	if (!__atomic_compare_exchange_n(&chunks[(unsigned)fd >> FDTAB_CHUNK_SHIFT], &expected,
					 chunk, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		munmap(chunk, FDTAB_CHUNK * sizeof *chunk);
	e = fdtab_lookup(fd);
done:
	raise_to(&limit, fd);
	if (programs)
		raise_to(&program_limit, fd);
	return e;
}

static struct fd_entry *slot(int fd)
{
	return slot_of(fd, true);
}

uint32_t fdtab_set(int fd, uint32_t state)
{
	struct fd_entry *e = state ? slot(fd) : fdtab_lookup(fd);

	if (!e)
		return 0;
	__atomic_store_n(&e->cookie, 0, __ATOMIC_RELAXED);
	return fdtab_state_of(__atomic_exchange_n(&e->word, state, __ATOMIC_ACQ_REL));
}

void fdtab_set_word(int fd, uint32_t state, uint32_t aux)
{
	struct fd_entry *e = slot_of(fd, !(state & FD_PRIVATE));

	if (e)
		__atomic_store_n(&e->word, fdtab_word_of(state, aux), __ATOMIC_RELEASE);
}

void fdtab_unmark_private(int fd, uint32_t aux)
{
	struct fd_entry *e = fdtab_lookup(fd);
	uint64_t w = e ? __atomic_load_n(&e->word, __ATOMIC_ACQUIRE) : 0;

	while ((fdtab_state_of(w) & FD_PRIVATE) && fdtab_aux_of(w) == aux &&
	       !__atomic_compare_exchange_n(&e->word, &w, 0, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE))
		;
}

struct fd_entry *fdtab_make(int fd)
{
	return slot(fd);
}

SHIM_FORK_TEXT uint32_t fdtab_or(int fd, uint32_t bits)
{
	struct fd_entry *e = slot(fd);

	return e ? (uint32_t)__atomic_fetch_or(&e->word, (uint64_t)bits, __ATOMIC_ACQ_REL) : 0;
}

uint32_t fdtab_clear(int fd, uint32_t bits)
{
	struct fd_entry *e = fdtab_lookup(fd);

	return e ? (uint32_t)__atomic_fetch_and(&e->word, ~(uint64_t)bits, __ATOMIC_ACQ_REL) : 0;
}

SHIM_FORK_TEXT uint64_t fdtab_cookie(int fd)
{
	struct fd_entry *e = fdtab_lookup(fd);

	return e ? __atomic_load_n(&e->cookie, __ATOMIC_RELAXED) : 0;
}

void fdtab_set_cookie(int fd, uint64_t cookie)
{
	struct fd_entry *e = slot(fd);

	if (e)
		__atomic_store_n(&e->cookie, cookie, __ATOMIC_RELAXED);
}

int fdtab_limit(void)
{
	return __atomic_load_n(&limit, __ATOMIC_RELAXED);
}

SHIM_FORK_TEXT int fdtab_program_limit(void)
{
	return __atomic_load_n(&program_limit, __ATOMIC_RELAXED);
}

SHIM_FORK_TEXT
void fdtab_each(int lo, int hi, uint32_t bits, bool (*fn)(int fd, uint32_t st, void *ctx),
		void *ctx)
{
	int end = fdtab_limit();

	if (lo < 0)
		lo = 0;
	if (hi >= end)
		hi = end - 1;
	/* Chunk by chunk (every fork walks the table: a lookup per number
	 * would cost ten times as much); long long: no overflow near INT_MAX,
	 * on i386 too. */
	const long long size = FDTAB_CHUNK;

	for (long long base = lo & ~(size - 1); base <= hi; base += size) {
		struct fd_entry *chunk =
			__atomic_load_n(&fdtab_chunks[base >> FDTAB_CHUNK_SHIFT], __ATOMIC_ACQUIRE);
		long long from = base < lo ? lo : base;
		long long to = base + size - 1 < hi ? base + size - 1 : hi;

		if (!chunk)
			continue;
		for (long long fd = from; fd <= to; fd++) {
			uint32_t st =
				fdtab_state_of(__atomic_load_n(&chunk[fd - base].word, __ATOMIC_RELAXED));

			if ((st & bits) && !fn((int)fd, st, ctx))
				return;
		}
	}
}

SHIM_FORK_TEXT static bool mark_shared(int fd, uint32_t st, void *ctx)
{
	(void)ctx;
	/* written only when it changes: a forking server's every fork would
	 * otherwise dirty the table's pages again (a copy-on-write fault in
	 * the parent and in each child) */
	if (!(st & FD_SHARED))
		fdtab_or(fd, FD_SHARED);
	return true;
}

SHIM_FORK_TEXT void fdtab_mark_all_shared(void)
{
	fdtab_each(0, fdtab_program_limit() - 1, FD_SOCKET, mark_shared, NULL);
}

/* 1 once a walk of /proc/self/fd began and nothing unseen came since */
static int all_seen;

/* Calls in progress that may bring a socket unseen (fdtab_receive_begin):
 * their descriptors are the process's from the moment the kernel installs
 * them, before the call returns and marks the table.  A fork by another
 * thread meanwhile copies the count with the descriptors (the kernel
 * copies the descriptor table before the memory), and in the child it
 * never comes down: none of its threads will finish those calls. */
static int receiving;

SHIM_FORK_TEXT bool fdtab_all_seen(void)
{
	return __atomic_load_n(&all_seen, __ATOMIC_ACQUIRE) != 0 &&
	       __atomic_load_n(&receiving, __ATOMIC_ACQUIRE) == 0;
}

bool fdtab_all_seen_but_receiving(void)
{
	return __atomic_load_n(&all_seen, __ATOMIC_ACQUIRE) != 0;
}

void fdtab_receive_begin(void)
{
	__atomic_add_fetch(&receiving, 1, __ATOMIC_SEQ_CST);
}

void fdtab_receive_end(bool unseen)
{
	/* marked before the count comes down: never complete in between */
	if (unseen)
		fdtab_unseen_possible();
	__atomic_sub_fetch(&receiving, 1, __ATOMIC_SEQ_CST);
}

void fdtab_walk_begins(void)
{
	__atomic_store_n(&all_seen, 1, __ATOMIC_SEQ_CST);
}

void fdtab_unseen_possible(void)
{
	if (__atomic_load_n(&all_seen, __ATOMIC_RELAXED))
		__atomic_store_n(&all_seen, 0, __ATOMIC_SEQ_CST);
}

void fdtab_reset(void)
{
	all_seen = 0;
	receiving = 0;
	for (unsigned i = 0; i < FDTAB_CHUNKS; i++) {
		if (chunks[i]) {
			munmap(chunks[i], FDTAB_CHUNK * sizeof *chunks[i]);
			chunks[i] = NULL;
		}
	}
	limit = 0;
	program_limit = 0;
}
