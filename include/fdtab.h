/* The descriptor table: what the shim knows of each descriptor number.
 *
 * One 32-bit state word per number, changed with atomic operations only, so
 * that it is safe under threads, in signal handlers and in a forked child,
 * and never allocates with malloc: the table grows in chunks mapped with
 * mmap(2) when a number is first recorded.  It covers every number a process
 * can have (up to INT_MAX), also after the program raises RLIMIT_NOFILE.
 *
 * A number the shim never saw made (a pipe, a file, a socket inherited
 * through exec) reads as 0: unknown. */
#ifndef SHIM_FDTAB_H
#define SHIM_FDTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	FD_SOCKET = 1u << 1,	  /* a socket; family and type below */
	FD_TCP = 1u << 2,	  /* inet/inet6 stream socket with protocol TCP */
	FD_CREATED = 1u << 3,	  /* made in this process by socket/socketpair/accept */
	FD_SHARED = 1u << 4,	  /* dup'd, or crossed a fork: not the only reference */
	FD_LINGER_ZERO = 1u << 5, /* the program set SO_LINGER {1, 0} */
	FD_EPOLL = 1u << 6,	  /* an epoll instance (made by epoll_create*) */
	FD_COUNTED = 1u << 7,	  /* its references across fork are counted
				     (sharecount.h) */
	FD_CLOSED = 1u << 8,	  /* this process closed it, and the shim has not
				     seen the number come back since */
	FD_PRIVATE = 1u << 9,	  /* one of the shim's own descriptors; the
				     entry's aux is its privfd slot + 1 */
	FD_CLOSE_ON_EXEC = 1u << 10, /* a spawned program does not inherit it */
	FD_PASSED = 1u << 11,	  /* sent in SCM_RIGHTS: a copy may be in flight,
				     in no process's table (close_path.c) */

	FD_FAMILY_SHIFT = 12,
	FD_FAMILY_MASK = 7u << FD_FAMILY_SHIFT,
	FD_TYPE_SHIFT = 16,
	FD_TYPE_MASK = 7u << FD_TYPE_SHIFT,
};

enum fd_family { FAM_UNKNOWN, FAM_INET, FAM_INET6, FAM_UNIX, FAM_OTHER };
enum fd_type { TYPE_UNKNOWN, TYPE_STREAM, TYPE_DGRAM, TYPE_SEQPACKET, TYPE_OTHER };

static inline enum fd_family fd_family(uint32_t st)
{
	return (enum fd_family)((st & FD_FAMILY_MASK) >> FD_FAMILY_SHIFT);
}

static inline enum fd_type fd_type(uint32_t st)
{
	return (enum fd_type)((st & FD_TYPE_MASK) >> FD_TYPE_SHIFT);
}

static inline bool fd_is_inet_stream(uint32_t st)
{
	enum fd_family f = fd_family(st);

	return (st & FD_SOCKET) && (f == FAM_INET || f == FAM_INET6) &&
	       fd_type(st) == TYPE_STREAM;
}

/* The state of a socket made in this process by socket(domain, type,
 * protocol) (type may carry SOCK_NONBLOCK/SOCK_CLOEXEC). */
uint32_t fdtab_socket_state(int domain, int type, int protocol);

/* Learns what fd is from the kernel (three getsockopt calls) and records
 * it: for a socket the shim did not see made (inherited through exec, passed
 * by systemd or inetd) when one of its facts is needed.  Not FD_CREATED.
 * Returns the state, 0 if fd is not a socket. */
uint32_t fdtab_learn(int fd);

/* The same, without recording it. */
uint32_t fdtab_probe(int fd);

/* The table itself, for the inline lookups below (the hot path of every
 * interposed call); nothing else touches it outside fdtab.c.
 *
 * An entry's word holds the state (low 32 bits) and aux (high 32 bits)
 * together, so that a close can swap both in one atomic exchange: aux is
 * the close_history id of the number's last close for a FD_CLOSED entry,
 * the privfd slot + 1 for a FD_PRIVATE one, 0 otherwise.  cookie is the
 * socket's SO_COOKIE, recorded where a destructive action (graceful close)
 * may later need to be sure it acts on the socket the shim saw made. */
#define FDTAB_CHUNK_SHIFT 12
#define FDTAB_CHUNK (1u << FDTAB_CHUNK_SHIFT)
#define FDTAB_CHUNKS ((1u << 31) >> FDTAB_CHUNK_SHIFT) /* every non-negative int */
struct fd_entry {
	uint64_t word;
	uint64_t cookie;
};
extern struct fd_entry *fdtab_chunks[FDTAB_CHUNKS];

static inline uint64_t fdtab_word_of(uint32_t state, uint32_t aux)
{
	return (uint64_t)aux << 32 | state;
}
static inline uint32_t fdtab_state_of(uint64_t word)
{
	return (uint32_t)word;
}
static inline uint32_t fdtab_aux_of(uint64_t word)
{
	return (uint32_t)(word >> 32);
}

/* The entry of fd, or NULL if nothing was ever recorded near it. */
static inline struct fd_entry *fdtab_lookup(int fd)
{
	struct fd_entry *chunk;

	if (fd < 0)
		return NULL;
	chunk = __atomic_load_n(&fdtab_chunks[(unsigned)fd >> FDTAB_CHUNK_SHIFT],
				__ATOMIC_ACQUIRE);
	return chunk ? &chunk[(unsigned)fd & (FDTAB_CHUNK - 1)] : NULL;
}

/* The state of number fd, 0 if unknown. */
static inline uint32_t fdtab_get(int fd)
{
	struct fd_entry *e = fdtab_lookup(fd);

	return e ? fdtab_state_of(__atomic_load_n(&e->word, __ATOMIC_RELAXED)) : 0;
}

/* The entry of fd, its chunk made if needed (NULL if fd < 0 or out of
 * memory). */
struct fd_entry *fdtab_make(int fd);

/* Records a new state for fd (aux 0, cookie 0) and returns the one it
 * replaces.  The slot of a number beyond the table (negative) is silently
 * not kept. */
uint32_t fdtab_set(int fd, uint32_t state);

/* Records state and aux for fd in one store. */
void fdtab_set_word(int fd, uint32_t state, uint32_t aux);

/* Clears fd's entry only if it is still the mark FD_PRIVATE with aux (one
 * compare-and-swap): what made the number since (another private copy,
 * the program's socket) keeps its own entry. */
void fdtab_unmark_private(int fd, uint32_t aux);

/* Sets bits in fd's state, returns the state before. */
uint32_t fdtab_or(int fd, uint32_t bits);

/* Clears bits in fd's state, returns the state before. */
uint32_t fdtab_clear(int fd, uint32_t bits);

/* The socket's SO_COOKIE as recorded (0: none). */
uint64_t fdtab_cookie(int fd);
void fdtab_set_cookie(int fd, uint64_t cookie);

/* Every socket that this process holds is now also held by a child: called
 * when the process forks. */
void fdtab_mark_all_shared(void);

/* One above the highest number ever recorded: no number at or above it has
 * a state.  Lets range operations stop early. */
int fdtab_limit(void);

/* The same for the program's numbers alone (the shim's own, kept high
 * (privfd.h), left out): the walks over the program's sockets stop there. */
int fdtab_program_limit(void);

/* Calls fn for each number in [lo, hi] whose state has any of the bits,
 * in increasing order; stops early when fn returns false. */
void fdtab_each(int lo, int hi, uint32_t bits, bool (*fn)(int fd, uint32_t st, void *ctx),
		void *ctx);

/* Whether every socket the process holds has its entry, so that its end
 * (exit) need not ask /proc/self/fd for the ones the shim never saw made.
 * False from exec until a walk of /proc/self/fd has learned them
 * (fdtab_walk_begins, before the walk: a call that brings one meanwhile
 * makes it false again after); false again after any call that may have
 * brought one unseen (fdtab_unseen_possible: descriptors received in
 * SCM_RIGHTS, pidfd_getfd).  A fork's child starts with its parent's
 * answer.  Not seen at all: sockets libc makes for itself (its resolver,
 * sunrpc) after the walk, and io_uring's. */
bool fdtab_all_seen(void);
void fdtab_walk_begins(void);
void fdtab_unseen_possible(void);

/* Around a call that may bring a socket unseen (recvmsg with room for
 * SCM_RIGHTS, recvmmsg, pidfd_getfd): the table is not complete while one
 * is in progress, nor in a child forked meanwhile by another thread (the
 * descriptor may be in the child's table before the call has marked it).
 * end: unseen if it brought something.  A call left without its end (its
 * thread cancelled in it, a handler's longjmp) leaves the table incomplete:
 * the walks of before. */
void fdtab_receive_begin(void);
void fdtab_receive_end(bool unseen);

/* fdtab_all_seen but for the receives in progress: what a walk before a
 * fork could add to (a walk then would not spare the child its own: the
 * count comes with it). */
bool fdtab_all_seen_but_receiving(void);

/* Forgets everything (tests only). */
void fdtab_reset(void);

#endif
