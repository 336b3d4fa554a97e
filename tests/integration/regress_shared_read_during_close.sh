# A forking server's parent closes its copy of a connection while the
# child reads the request: the shim counted the request's bytes unread,
# then (while it named the socket for the kernel's look-up) the child read
# them and closed, and the parent's close, now the last reference with
# nothing unread, sent a FIN.  The socket was gone when the shim asked
# (the client had already shut down its side, so the FIN ended it at
# once), and the shim wrote a close_rst for a reset the kernel never sent:
# one in a few thousand connections of `bench fork-server`, with no reset
# counted by the kernel.  Now the unread bytes are counted again as the
# last step before the close.  The program makes the child's read fall in
# that window every time (tests/progs/shared_close_seccomp.c, read-during).
#
# Before: "0 resets, 1 close_rst records".
. "$(dirname "$0")/../lib.sh"
private_net
no_reset_when_trapped "" "$WORK/fork.log" "the shim never asked for the peer's address" \
	"$PROGS/shared_close_seccomp" read-during
