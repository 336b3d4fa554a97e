/* Where the shim's big zero-filled tables go in its memory, and the code
 * a forked child runs (SHIM_FORK_TEXT, at the end).
 *
 * A fork copies the page-table page of every 2 MiB region in which the
 * process has written, and the child's exit frees it again: about 4 µs per
 * region per fork and exit on the CI machine (a process with one written
 * page in each of seven regions forked and reaped a child 24 µs slower
 * than one with a single region).  The shim's .bss held its small state,
 * written by every process, between tables of megabytes that are written at
 * one end only, so a forking server paid for five or six regions where two
 * would do.
 *
 * So the big tables leave .bss for sections that shim/cold.ld lays out
 * right after it, in the order of their numbers below; each table's written
 * end lies next to the written part of its neighbour:
 *
 *   .bss (small state) | privfd: written from its start | call pool:
 *   written from its end | fdtab: written from its start | tables written
 *   only by some programs (the JVM agent's, the Python and Ruby frames')
 *
 * Only with GCC on x86_64, whose assembler makes any .lbss section
 * zero-filled (NOBITS, no room in the file); the i386 library and clang
 * builds keep the tables in .bss, and so do AddressSanitizer builds (GCC
 * gives a global with a section of its own no redzones: an overflow of
 * these tables would go unseen). */
#ifndef SHIM_COLDMEM_H
#define SHIM_COLDMEM_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define SHIM_COLD(order) __attribute__((section(".lbss.sockshim." #order)))
#define SHIM_FORK_HOT(part) __attribute__((section(".bss.sockshim.forkhot." #part)))
#else
#define SHIM_COLD(order)
#define SHIM_FORK_HOT(part)
#endif

/* The small state that a forked child writes (its pid, its ring of
 * closes, the sets its calls take), then that ring, whose header and first
 * slots follow: all on the page that .data shares with the start of .bss,
 * which the child writes anyway when it exits (the C runtime's `completed`
 * flag).  Each page a process writes after a fork is a copy-on-write
 * fault, a few µs each on the CI machine: spread over .bss and .data, this
 * state cost a forking server's child five of them where one does. */
#define FORK_HOT SHIM_FORK_HOT(1)
#define FORK_HOT_RING SHIM_FORK_HOT(2) /* right after FORK_HOT */
#define COLD_PRIVFD SHIM_COLD(1) /* first: its written start next to .bss */
#define COLD_CALL SHIM_COLD(2)   /* its sets are taken from the top */
#define COLD_FDTAB SHIM_COLD(3)
#define COLD_RARE SHIM_COLD(4)

/* SHIM_FORK_TEXT: a function a forked child runs (the fork handlers, a
 * close at the default level, the end of the process).  A fork copies no
 * page-table entry of the library's code: the child maps each page again
 * on first use, a fault that maps the 64 KiB around it (fault-around), a
 * few µs each.  Spread over the library's 130 KiB of code, a forking
 * server's child paid two to four of them; gathered in one place, one or
 * two.  GNU ld's default script lays out the .text.hot.* sections of all
 * objects together near the start of .text, in .text itself:
 * debuggers, perf and valgrind name them as ever.  (tests/integration/
 * fork_child_code_together.sh lists what a child runs.) */
#define SHIM_FORK_TEXT __attribute__((section(".text.hot.sockshim_fork")))

#endif
