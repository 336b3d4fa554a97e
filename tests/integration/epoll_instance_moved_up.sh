# An async graceful close takes the socket out of every epoll instance of
# the program, and only up to the highest number an instance was seen at
# (not every number up to the descriptor limit, a walk that was in each
# close of an event-loop server): an instance the program moved to a
# higher number (dup2, then the first number closed) is looked for there
# too.  tests/progs/epoll_high_fd 0 3000: a connection where accept put it, registered
# in an instance moved to 3000, closed under SOCKSHIM_GRACEFUL=1 while the
# peer is connected; then the peer writes.  Pass: no event for the closed
# number ("none"), as bare.  Without the copy's number noted (the bound at
# the first instance's number): "stale".
. "$(dirname "$0")/../lib.sh"

out=$("$PROGS/epoll_high_fd" 0 3000) || rc=$?
[ "${rc:-0}" != 77 ] || skip "no hard descriptor limit above 3000 here"
[ "$out" = none ] || fail "bare: $out"
out=$(env $SAN_VARS SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=1000 SOCKSHIM_LOG="$WORK/shim.log" \
	LD_PRELOAD="$PRELOAD" "$PROGS/epoll_high_fd" 0 3000) || fail "under the shim: exit $?"
[ "$out" = none ] || fail "an instance moved to 3000 kept the closed socket: $out"
note "an instance moved from its first number to 3000: none"
