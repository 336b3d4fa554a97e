# A forking server's parent closes its copy of a connection whose client
# has sent its request and shut down its side; the child reads the request
# and closes its own copy.  The shim counted the request's bytes unread at
# the parent's close (the last count, right before it: see
# regress_shared_read_during_close), and asked the kernel afterwards
# whether the socket outlived that close.  When the child read and closed
# in between, its close was the last one, with nothing unread: a FIN, no
# reset; the socket (its peer done) was gone at once, and the shim wrote a
# close_rst for the parent's close: 2 in 5000 connections of such a server,
# with no reset counted by the kernel.  Now the parent puts its question in
# memory the fork tree shares before its last count, and the child, whose
# close finds nothing unread, answers it (lastref.h).  The program makes
# the child's read and close fall after the parent's close and before its
# question to the kernel every time (tests/progs/shared_close_seccomp.c,
# read-after-close).
#
# Also under SOCKSHIM_GRACEFUL=1, where the fork tree's count makes the
# child's close the last one it knows of, and lingered on: that close
# answered only if the state it read still said "shared", which the count
# had taken away (found by a review: the same false record).
#
# Before: "0 resets, 1 close_rst records" (both).
. "$(dirname "$0")/../lib.sh"
private_net
for graceful in 0 1; do
	no_reset_when_trapped "graceful=$graceful: " "$WORK/fork.$graceful.log" \
		"the shim never asked the kernel about the socket" \
		env SOCKSHIM_GRACEFUL=$graceful "$PROGS/shared_close_seccomp" read-after-close
done
