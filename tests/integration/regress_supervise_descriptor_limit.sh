#!/bin/sh
# Regression: the supervisor ran at the descriptor limit it was started
# with (1024 under systemd, whatever the program raised its own to, as
# Go's runtime does), holding a copy of each socket it lingered on or
# looked at after the program's close, and the pidfd's once more for each
# of those.  A server ending hundreds of connections at once (an exit with
# them open, close_range, a graceful close each) filled the table, and
# every copy it could not take went without a record or a cure, and
# without a word (found by a helper's sweep).  Now the supervisor raises
# its own limit to the hard one, shares the pidfd's copy, and past a
# reserve line decides a close at once (a lingering that would have to
# wait: graceful_skipped, the socket shut down and drained as far as it
# went).
# Before, at a soft limit of 128 (tests/progs/many_ends.c, 300 ends):
# "exit: 111 close_rst records for 300 resets", "graceful close: the
# clients saw 188 resets"; at a hard limit of 256: "exit, 250 ends: 238
# close_rst records for 250 resets".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
private_net "$@"
SV="$B/sockshim-supervise"
P="$PROGS/static/many_ends"
[ -x "$SV" ] && [ -x "$P" ] || fail "build/sockshim-supervise or $P is missing"
[ "$(ulimit -H -n)" = unlimited ] || [ "$(ulimit -H -n)" -ge 1024 ] ||
	skip "the hard descriptor limit is below 1024"

# ends N MODE [VAR=value...]: the program's output; $resets, $records
ends() {
	n=$1 mode=$2
	shift 2
	before=$(kernel_aborts)
	rm -f "$WORK/sv.log"
	out=$(env SOCKSHIM_RATE=0 SOCKSHIM_LOG="$WORK/sv.log" "$@" "$SV" -- "$P" "$n" "$mode" \
		2>"$WORK/err") || { cat "$WORK/err"; fail "$mode, $n ends: exit $?"; }
	resets=$(($(kernel_aborts) - before))
	records=$(count_events "$WORK/sv.log" close_rst)
}

(
	ulimit -S -n 128 || skip "cannot set the descriptor limit"
	for mode in exit range close; do
		ends 300 "$mode"
		[ "$out" = "eof 0 reset 300" ] || fail "$mode: the clients saw '$out', not 300 resets"
		[ "$resets" = 300 ] || fail "$mode: the kernel counted $resets resets, not 300"
		[ "$records" = 300 ] || fail "$mode: $records close_rst records for 300 resets"
		note "soft limit 128, $mode: $records close_rst records for $resets resets"
	done
	for mode in close exit; do
		ends 300 "$mode" SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=3000
		[ "$out" = "eof 300 reset 0" ] || fail "graceful $mode: the clients saw '$out'"
		[ "$resets" = 0 ] || fail "graceful $mode: the kernel counted $resets resets"
		[ "$(count_events "$WORK/sv.log" graceful_skipped)" = 0 ] ||
			fail "graceful $mode: lingering skipped under a hard limit of $(ulimit -H -n)"
		note "soft limit 128, graceful $mode: $out"
	done
) || exit $?

# Past the hard limit: each close decided at once, none without a record
(
	ulimit -S -n 256 && ulimit -H -n 256 || skip "cannot set the descriptor limit"
	ends 250 exit
	[ "$resets" = 250 ] || fail "exit, 250 ends: the kernel counted $resets resets, not 250"
	[ "$records" = 250 ] || fail "exit, 250 ends: $records close_rst records for 250 resets"
	note "hard limit 256, exit: $records close_rst records for $resets resets"
	ends 250 close SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=3000
	skipped=$(count_events "$WORK/sv.log" graceful_skipped)
	[ "$skipped" -gt 0 ] || fail "graceful, 250 ends at a hard limit of 256: none skipped"
	check_log "$WORK/sv.log" --event graceful_skipped \
		--where 'reason=no descriptor left in the supervisor' --count "$skipped"
	# (a skipped lingering was shut down and drained first: what resets
	# is what arrived since, each with its record)
	[ "$records" = "$resets" ] ||
		fail "graceful, hard limit 256: $records close_rst records for $resets resets"
	note "hard limit 256, graceful close: $out, $skipped graceful_skipped, $records close_rst"
) || exit $?
