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
 * an address costs a hash probe.  A dlclose (see dlclose_calls.c) makes
 * every cached name stale at once. */
#ifndef SHIM_SYMCACHE_H
#define SHIM_SYMCACHE_H

#include <stdbool.h>
#include <stdint.h>

#define SYMCACHE_SLOTS 4096
#define SYMCACHE_MODULES 256

struct sym_frame {
	const char *module;	/* the object's path, NULL if not known */
	uintptr_t base;		/* its load address (ip - base: the offset) */
	const char *symbol;	/* nearest exported symbol at or below, or NULL */
	uintptr_t symbol_addr;
	uint32_t module_len, symbol_len;
	bool module_plain, symbol_plain; /* need no escaping in JSON (rec_plain) */
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
 * looked up: what is cached, else the module from the table of the last
 * look-up (no symbol).  Returns whether the module is known. */
bool symcache_lookup(uintptr_t ip, bool lookup, struct sym_frame *f);

/* Forgets every cached name (a module was unloaded: its names and
 * addresses may now be another's). */
void symcache_invalidate(void);

#endif
