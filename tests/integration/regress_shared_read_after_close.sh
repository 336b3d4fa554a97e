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
# Before: "0 resets, 1 close_rst records".
. "$(dirname "$0")/../lib.sh"
private_net
before=$(kernel_aborts)
rc=0
SOCKSHIM_LOG="$WORK/fork.log" env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/shared_close_seccomp" read-after-close || rc=$?
[ $rc != 77 ] || skip "no seccomp filter here, or not x86_64 (the trap reads its registers)"
[ $rc != 4 ] || fail "the shim never asked the kernel about the socket: the case does not show"
[ $rc = 0 ] || fail "the program exited $rc (3: the client saw a reset)"
sleep 0.1
aborts=$(($(kernel_aborts) - before))
rst=$(count_events "$WORK/fork.log" close_rst)
note "$aborts resets, $rst close_rst records"
[ "$aborts" = 0 ] || fail "the kernel counted $aborts resets: the case does not show here"
[ "$rst" = 0 ] || fail "$rst close_rst records for no reset: $(cat "$WORK/fork.log")"
