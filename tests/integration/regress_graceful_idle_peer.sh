# Regression: a lingering close (SOCKSHIM_GRACEFUL=1) whose peer read the
# answer and the FIN and then stayed open and silent (an idle client, a
# server that drops idle clients: redis's CLIENT KILL) ended in a
# graceful_timeout record, an error "with the peer still sending" (the
# contract's words), though the peer sent nothing and nothing was reset
# (found by a helper's sweep: 5 records for 5 killed idle redis-cli).  Now
# a timeout is graceful_timeout only if the peer's bytes came in the second
# half of the wait; otherwise the end of the wait is a graceful_close (at
# events=all), reason "the peer stayed open and silent".  The supervisor's
# lingering does the same.
#
# seed_server (answers, closes with the request's tail unread) under
# SOCKSHIM_LINGER_MS=300; seed_client reads the answer and the EOF and
# holds its end open 700 ms more.
#
# Before: "errors: 1 graceful_timeout records".
. "$(dirname "$0")/../lib.sh"
private_net
for level in errors all; do
	port=$(free_port)
	SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=300 SOCKSHIM_EVENTS=$level SOCKSHIM_LOG="$WORK/$level.log" \
		shim "$PROGS/seed_server" "$port" 100000 1 &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_listen "$port"
	out=$("$PROGS/seed_client" "$port" 60000 700)
	wait "$pid" || fail "$level: seed_server exited $?"
	[ "$out" = "received 100000 bytes, then EOF" ] || fail "$level: $out"
	n=$(count_events "$WORK/$level.log" graceful_timeout)
	note "$level: $out; $n graceful_timeout records"
	[ "$n" = 0 ] || fail "$level: $n graceful_timeout records for a silent peer: $(cat "$WORK/$level.log")"
done
check_log "$WORK/all.log" --event graceful_close --where "reason=the peer stayed open and silent" --count 1
