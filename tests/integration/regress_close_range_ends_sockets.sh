# Regression: a connection ended by close_range() or closefrom() rather
# than close() ended unseen by the library: bytes unread made the kernel
# reset the client with no close_rst record, and SOCKSHIM_GRACEFUL=1 never
# lingered on it (the supervisor did both; found by the contract audit).
# tests/progs/range_close ends a connection holding 11 unread bytes each
# way; the client says what it got.
# Before: "close_range: 0 close_rst records (unread 11), 1 expected"
# (nor a close record at events=all, nor eof under graceful).
. "$(dirname "$0")/../lib.sh"
for how in close_range closefrom unshare bad_flags; do
	out=$("$PROGS/range_close" "$how") || fail "$how bare: exit $?"
	[ "$out" = reset ] || fail "$how bare: the client got $out, not reset (the case shows nothing)"
	log=$WORK/$how.log
	out=$(env $SAN_VARS LD_PRELOAD="$PRELOAD" SOCKSHIM_LOG="$log" "$PROGS/range_close" "$how") ||
		fail "$how: exit $?"
	[ "$out" = reset ] || fail "$how: the client got $out, not reset, with nothing asked"
	n=$(cat "$log" 2>/dev/null | grep -c '"event":"close_rst".*"reason":"unread_data".*"unread":11')
	[ "$n" = 1 ] || fail "$how: $n close_rst records (unread 11), 1 expected: $(cat "$log" 2>/dev/null)"
	log=$WORK/$how.all.log
	env $SAN_VARS LD_PRELOAD="$PRELOAD" SOCKSHIM_LOG="$log" SOCKSHIM_EVENTS=all "$PROGS/range_close" "$how" >/dev/null ||
		fail "$how events=all: exit $?"
	n=$(cat "$log" 2>/dev/null | grep -c '"event":"close","fd":5')
	[ "$n" = 1 ] || fail "$how events=all: $n close records of the connection, 1 expected"
	out=$(env $SAN_VARS LD_PRELOAD="$PRELOAD" SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/g.log" "$PROGS/range_close" "$how") ||
		fail "$how graceful: exit $?"
	[ "$out" = eof ] || fail "$how graceful: the client got $out, not eof"
	! grep -q '"event":"close_rst"' "$WORK/g.log" || fail "$how graceful: a close_rst record: $(cat "$WORK/g.log")"
done
note "close_range, closefrom, CLOSE_RANGE_UNSHARE: one close_rst each, eof under graceful"
