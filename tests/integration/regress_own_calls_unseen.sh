# The shim's own system calls (writing a record, probing a socket before
# its close, draining a lingering one, opening its log, looking up
# addresses) are made directly, never through the PLT: another preloaded
# library stacked after the shim (a tracer, a fault injector) must not see
# them as the program's.  tests/preload/count_io.so wraps those calls and
# counts the ones made from inside libsockshim.so.
# Before the fix (graceful_cases order): "count_io: 20 calls from sockshim, the
# first: open" (33 counting the client process).
. "$(dirname "$0")/../lib.sh"

counter="$PROGS/count_io.so"
for args in "events unread_data" "events double_close" "graceful_cases order"; do
	rm -f "$WORK/log"
	# shellcheck disable=SC2086
	SOCKSHIM_EVENTS=all SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=300 SOCKSHIM_LOG="$WORK/log" \
		env $SAN_VARS LD_PRELOAD="$PRELOAD:$counter" "$PROGS"/$args >"$WORK/out" 2>&1 ||
		{ cat "$WORK/out"; fail "$args: exit $?"; }
	[ -s "$WORK/log" ] || fail "$args: nothing logged: this shows nothing"
	assert_grep "$WORK/out" '^count_io: '
	grep -q '^count_io: 0 calls from sockshim' "$WORK/out" ||
		fail "$args: $(grep '^count_io' "$WORK/out")"
	note "$args: $(grep '^count_io' "$WORK/out") ($(wc -l <"$WORK/log") records written)"
done
