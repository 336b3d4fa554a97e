#!/bin/sh
# Regression (in ca79b77, found by a review): the supervisor took back the
# holders a fork had added when it found no new child among the forking
# thread's children; a child made with clone(CLONE_PARENT) is its
# parent's sibling, and never there.  The count came too low: the
# forker's close of a socket its children still held was taken for the
# last (a false close_rst), and --graceful shut down and drained it under
# the child, whose answer never came.  Now a fork counts as made unless
# no task at all was made since it was trapped.
# Before: "default: 2 close_rst records" (2 children), and under
# --graceful the client got "client: 0 bytes (), then EOF".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
private_net "$@"
SV="$B/sockshim-supervise"
P="$PROGS/static/clone_parent"
[ -x "$SV" ] && [ -x "$P" ] || fail "build/sockshim-supervise or $P is missing"
want="client: 17 bytes (hello from child), then EOF"
out=$("$P" 2) || fail "bare: exit $?"
[ "$out" = "$want" ] || fail "bare: the control does not hold: $out"
for vars in "" SOCKSHIM_GRACEFUL=1; do
	name=${vars:-default}
	: >"$WORK/sv.log"
	before=$(kernel_aborts)
	out=$(env $vars SOCKSHIM_LOG="$WORK/sv.log" "$SV" -- "$P" 2 2>"$WORK/err") ||
		{ cat "$WORK/err"; fail "$name: exit $?"; }
	[ "$out" = "$want" ] || fail "$name: the client got '$out'"
	records=$(count_events "$WORK/sv.log" close_rst)
	[ "$records" = 0 ] || fail "$name: $records close_rst records"
	[ "$(($(kernel_aborts) - before))" = 0 ] || fail "$name: the kernel sent a reset"
	note "$name: the children's answer whole, no record"
done
