# The seed's case fixed: a server that answers and closes with request
# bytes unread resets its client without the shim (shown first); under
# SOCKSHIM_GRACEFUL=1 the client gets the complete answer and a clean EOF,
# in both linger modes.  The server exits right after its last close, so
# the async mode also shows that exiting with a lingering socket delivers.
. "$(dirname "$0")/../lib.sh"

serve() { # mode ("bare", "async", "sync"): one server life, one client
	port=$(free_port)
	if [ "$1" = bare ]; then
		bg_start "$PROGS/seed_server" "$port" 4000000 1
	else
		SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MODE=$1 SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/$1.log" \
			bg_start shim "$PROGS/seed_server" "$port" 4000000 1
	fi
	wait_listen "$port"
	"$PROGS/seed_client" "$port" 60000 >"$WORK/$1.out"
	rc=$?
	wait "$BG_PID" || fail "$1: server exit $?"
	return $rc
}

serve bare && fail "bare: no reset: $(cat "$WORK/bare.out")"
assert_grep "$WORK/bare.out" "then Connection reset by peer"
note "bare:  $(cat "$WORK/bare.out")"
for mode in async sync; do
	serve "$mode" || fail "$mode: $(cat "$WORK/$mode.out")"
	assert_grep "$WORK/$mode.out" "^received 4000000 bytes, then EOF$"
	check_log "$WORK/$mode.log" --event graceful_close --where mode="$mode" --backtrace-has answer_and_close --count 1
	check_log "$WORK/$mode.log" --event close_rst --count 0
	note "$mode: $(cat "$WORK/$mode.out")"
done

# An abortive SO_LINGER {1, 0} set by the program is replaced by the
# lingering close, and the record says so.
SOCKSHIM_GRACEFUL=1 SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/lz.log" shim "$PROGS/events" linger_zero >/dev/null ||
	fail "linger_zero: exit $?"
check_log "$WORK/lz.log" --event close_rst --count 0
check_log "$WORK/lz.log" --event close_pending_error --count 0
check_log "$WORK/lz.log" --event graceful_close --where "reason=replaced the program's SO_LINGER {1, 0}" \
	--backtrace-has abortive_closer --count 1
note "SO_LINGER {1, 0}: replaced, no reset"
