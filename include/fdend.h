/* What happens when a descriptor ends: the decisions of a close, as plain
 * functions over one atomic transition of the number's table entry.  They
 * make no system call and write no record: the caller (close_path.c) does
 * what they say.  Unit-tested against a fake libc (tests/unit/test_fdend.c).
 *
 * A close swaps the entry to FD_CLOSED in one exchange before the real
 * close, so that of two threads closing the same number exactly one sees
 * the socket (and acts on it), and a number freed by the real close and
 * taken at once by another thread's socket() is never overwritten. */
#ifndef SHIM_FDEND_H
#define SHIM_FDEND_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "fdtab.h"

/* One close of one number, from the claim to the verdict. */
struct fdend {
	int fd;
	struct fd_entry *e; /* NULL: the table has nothing near fd */
	uint64_t before;    /* the entry's word before this close */
	uint64_t mine;	    /* the word this close wrote */
};

/* Close ids come from one increasing counter (close_history's), so that
 * their order is the order in which they were taken; ids with this bit are
 * the anonymous ones of closes that keep no history. */
#define FDEND_ANONYMOUS 0x80000000u

/* Claims the end of fd: its entry becomes FD_CLOSED with close_id (the
 * close_history id of this close, taken just before; 0 when none is kept:
 * an anonymous id is used then), in one exchange.  Returns the state
 * before. */
uint32_t fdend_claim(struct fdend *c, int fd, uint32_t close_id);

/* Gives a claim back (the number turned out to be one of the shim's own:
 * the close is refused as for a number the program never opened). */
void fdend_unclaim(struct fdend *c);

/* What the close of a descriptor of state st needs before the real close. */
enum fdend_plan {
	FDEND_PLAIN,  /* nothing: close it */
	FDEND_PROBE,  /* the last reference to a TCP socket made here: ask the
			 kernel whether the close sends RST or drops an error */
	FDEND_LINGER, /* close it gracefully (SOCKSHIM_GRACEFUL) */
	FDEND_PROBE_SHARED, /* a TCP socket with other holders, or inherited:
			       if the close would reset were it the last one,
			       ask the kernel afterwards whether it was
			       (lastref.h) */
};
enum fdend_plan fdend_plan(uint32_t st, const struct config *cfg);

/* What a close's result means. */
enum fdend_verdict {
	FDEND_OK,
	FDEND_CLOSE_ERROR,  /* close failed (EIO, EINTR, or EBADF on a number
			       the shim knew nothing of) */
	FDEND_DOUBLE_CLOSE, /* EBADF on a number this process closed before */
};

/* After the real close returned ret (errno err): the verdict, and for a
 * double close the close_history id of the earlier close in *first_id (0:
 * unknown).  after_id: an id taken after the real close returned (0: none),
 * which tells a close of the same number by another thread that raced this
 * one (a double close) from one of the number reused since (this close
 * failed on its own).  The entry is left true: FD_CLOSED after a close that ended
 * the number (Linux frees it even when close fails), the earlier close's
 * record after a double close, unknown after EBADF on an unknown number.
 * Socket facts are never put back: whatever made a live socket's close
 * fail with EBADF closed it first. */
enum fdend_verdict fdend_finish(struct fdend *c, int ret, int err, uint32_t after_id,
				uint32_t *first_id);

/* close_range/closefrom closed [lo, hi]: every number known there (not the
 * shim's own) becomes FD_CLOSED with close_id. */
void fdend_range(int lo, int hi, uint32_t close_id);

#endif
