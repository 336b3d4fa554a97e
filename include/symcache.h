/* Names of code addresses for backtrace frames: module, load address and
 * nearest exported symbol, without dladdr.
 *
 * dladdr scans a module's whole dynamic symbol table at every call (tens of
 * thousands of instructions for a large program) and takes the dynamic
 * loader's lock, which dlopen holds while it runs constructors: a record
 * made while another thread's constructor waits for this one would never
 * complete.  Here each address is looked up once, through dl_iterate_phdr
 * (whose lock the loader holds only while it links a module into its list,
 * never around foreign code) and a scan of the module's dynamic symbols
 * read in place, and kept in a bounded lock-free cache; the second sight of
 * an address costs a hash probe.
 *
 * The names themselves are copied into the shim's own memory (interned:
 * each module's and each symbol's once), so that a module unloaded behind
 * the shim's back, or while a record is written, takes nothing a record
 * reads with it.  A dlclose that unmapped something (dl_calls.c) makes
 * every cached name stale at once.  Inside a known signal handler, and in
 * a child forked by a multi-threaded process (glibc leaves dl_iterate_phdr's
 * lock as it was at the fork there), a name not cached comes from the
 * table of modules the last look-up saw: the module, without its symbol. */
#ifndef SHIM_SYMCACHE_H
#define SHIM_SYMCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "record.h"

#define SYMCACHE_SLOTS 4096

struct sym_frame {
	/* The frame as a record writes it (record.h), names filled in: the
	 * same storage, so that writing a frame needs no second copy of it
	 * on what may be a signal handler's small stack. */
	union {
		struct rec_frame text;
		struct {
			uintptr_t ip_, offset_, symbol_off_; /* set by the writer */
			const char *module; /* the object's path, NULL if not known */
			const char *symbol; /* nearest exported symbol at or below, or NULL */
			size_t module_len, symbol_len;
			bool module_plain, symbol_plain; /* need no escaping in JSON */
		};
	};
	uintptr_t base;		/* its load address (ip - base: the offset) */
	uintptr_t symbol_addr;
	uint64_t name_hash;	/* FNV-1a of the module's file name without its
				   directory (the same binary may sit in /usr/lib
				   on one host, /lib on another): what call-site
				   ids are made of */
};

#define SYMCACHE_FNV_BASIS 0xcbf29ce484222325ULL
#define SYMCACHE_FNV_PRIME 0x100000001b3ULL

/* Remembers the main program's path (the loader names it ""). */
void symcache_init(void);

/* Names ip into *f.  With lookup false (inside a signal handler) nothing is
 * looked up: what is cached, else the module alone from the table (no
 * symbol).  Returns whether the module is known.  The strings are the
 * shim's own and stay valid for ever. */
bool symcache_lookup(uintptr_t ip, bool lookup, struct sym_frame *f);

/* Changes whenever the cached names are forgotten: anything made from
 * them under another generation is stale. */
uint32_t symcache_generation(void);

/* How many modules the loader has unloaded so far, into *n; false (*n
 * 0) where its list cannot be walked (symcache_loader_walkable).  Not
 * inside a signal handler. */
bool symcache_unloads(unsigned long long *n);

/* Whether every one of ips[n] lies in a module that is never unloaded
 * (the main program, libc, the loader, the shim): then no unload can have
 * made what is cached for them stale, and symcache_sync need not ask. */
bool symcache_permanent(void *const *ips, int n);

/* Catches up with modules unloaded without the dlclose wrapper seeing it
 * (a library bound to libc's dlclose directly, RTLD_DEEPBIND): if the
 * loader unloaded anything since the last call, forgets every cached
 * name and returns true.  Not inside a signal handler (dl_iterate_phdr). */
bool symcache_sync(void);

/* Around fork (pthread_atfork's prepare and parent handlers). */
void symcache_before_fork(void);
void symcache_after_fork_parent(void);

/* Whether dl_iterate_phdr may be called here: not in a forked child of a
 * multi-threaded parent, where another thread may have held its lock at the
 * fork (glibc does not reset it in the child). */
bool symcache_loader_walkable(void);

/* Around any walk of the loader's list made for the shim (dl_iterate_phdr:
 * its own, libunwind's, langtrace's): begin returns false if this thread
 * is inside one already (a signal handler interrupted it), and then the
 * caller must not walk (a handler that walks again may wait for ever on
 * the walk's lock).  Signal-safe: a thread-local flag. */
bool symcache_walk_begin(void);
void symcache_walk_end(void);

/* Forgets every cached name (a module was unloaded: its names and
 * addresses may now be another's). */
void symcache_invalidate(void);

#endif
