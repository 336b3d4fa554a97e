# An async graceful close takes the socket out of the program's epoll
# instances, those made before exec too, which the shim in the new image
# never saw made: the first graceful close looks for them (at each number
# the shim knows nothing of, the removal itself tells an instance from
# anything else).  tests/progs/epoll_inherited [N]: an instance made and
# kept across exec (at N if given), a connection made after it, registered
# there and closed under SOCKSHIM_GRACEFUL=1 while the peer is connected;
# then the peer writes (at 15000 the table is larger than the shim looks
# through number by number, and /proc/self/fd is listed instead).  Pass:
# no event for the closed number ("none"), as bare.  With no search for
# such instances: "stale".
. "$(dirname "$0")/../lib.sh"

for at in "" 700 15000; do
	rc=0
	out=$("$PROGS/epoll_inherited" $at) || rc=$?
	if [ "$rc" = 77 ]; then
		note "no hard descriptor limit above $at here"
		continue
	fi
	[ "$rc" = 0 ] || fail "bare: exit $rc"
	[ "$out" = none ] || fail "bare${at:+, the instance at $at}: $out"
	out=$(env $SAN_VARS SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=1000 SOCKSHIM_LOG="$WORK/shim.log" \
		LD_PRELOAD="$PRELOAD" "$PROGS/epoll_inherited" $at) || fail "under the shim: exit $?"
	[ "$out" = none ] || fail "an instance from before exec${at:+ (at $at)} kept the closed socket: $out"
	note "an instance from before exec${at:+ at $at}: none"
done
