# Regression: eb0f348 ended a range's sockets (the probe, the lingering)
# before the range call, also where the call then closed none of them: a
# close_range refused (a seccomp filter's EPERM, an old kernel's ENOSYS
# through syscall()), or another thread's CLOSE_RANGE_UNSHARE, which
# closes its own copy of the descriptor table.  Under graceful the
# program's live connection was shut down and drained (its next send
# EPIPE), at the default level a false close_rst was written, and a
# successful range changed errno (EAGAIN).  Found by a review.
# tests/progs/range_close sysrange (under deny_syscall: ENOSYS) and
# unshare_thread: the program answers on the socket after the range and
# closes it, 11 bytes unread (its close's reset is the one record).
# Before: "sysrange graceful=1: exit 2: send after a range that did not
# close: Broken pipe" (and regress_close_range_ends_sockets, which now
# checks errno: "close_range graceful: exit 4").
. "$(dirname "$0")/../lib.sh"
NR_CLOSE_RANGE=436 # x86_64 and i386 alike
for how in sysrange unshare_thread; do
	wrap=""
	[ "$how" = sysrange ] && wrap="$PROGS/deny_syscall $NR_CLOSE_RANGE"
	out=$($wrap "$PROGS/range_close" "$how" 2>&1) || fail "$how bare: exit $?: $out"
	[ "$out" = data ] || fail "$how bare: $out"
	for graceful in 0 1; do
		log=$WORK/$how.$graceful.log
		out=$(env $SAN_VARS SOCKSHIM_GRACEFUL=$graceful SOCKSHIM_LOG="$log" LD_PRELOAD="$PRELOAD" \
			$wrap "$PROGS/range_close" "$how" 2>&1) || fail "$how graceful=$graceful: exit $?: $out"
		[ "$out" = data ] || fail "$how graceful=$graceful: $out"
		n=$(cat "$log" 2>/dev/null | grep -c '"event":"close_rst"')
		want=$((1 - graceful))
		[ "$n" = "$want" ] || fail "$how graceful=$graceful: $n close_rst records, $want expected (its close's): $(cat "$log" 2>/dev/null)"
	done
done
note "a refused range and another thread's CLOSE_RANGE_UNSHARE leave the socket the program's"
