# Async mode: the program's close() returns before the peer has finished
# (the client reads the answer only after the server said its close
# returned; the graceful_close record, which needs the client's EOF, comes
# after that line); the bound on sockets in flight holds (beyond it a close
# lingers in the program's call); a program that exits with sockets still
# lingering delivers their data cleanly.
. "$(dirname "$0")/../lib.sh"

# order: stderr carries the program's "close returned" line and, at the
# default destination, the shim's records, in the order they happened.
SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=60000 SOCKSHIM_EVENTS=all \
	timeout 50 env LD_PRELOAD="$PRELOAD" "$PROGS/graceful_cases" order >"$WORK/order.out" 2>"$WORK/order.err" ||
	fail "order: exit $? (a close that blocked until the client's EOF would hang here)"
assert_grep "$WORK/order.out" "^client: received 200000 bytes, then EOF$"
returned=$(grep -n '^close returned$' "$WORK/order.err" | cut -d: -f1)
lingered=$(grep -n '"event":"graceful_close".*"symbol":"server_close+' "$WORK/order.err" | cut -d: -f1)
[ -n "$returned" ] && [ -n "$lingered" ] && [ "$returned" -lt "$lingered" ] ||
	{ cat "$WORK/order.err"; fail "order: the close did not return before the peer finished"; }
note "order: close returned, then the client read, then the lingering ended"

# bound: 259 connections lingering at once; the first 256 in the
# background, a close beyond lingers in the call ("background full").
SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=300 SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/flood.%p" \
	shim "$PROGS/graceful_cases" flood 259 || fail "flood: exit $?"
server_log=$(grep -l '"event":"accept"' "$WORK"/flood.*)
check_log "$server_log" --event graceful_timeout --where mode=async --count 256
check_log "$server_log" --where mode=sync --where "reason=background full" --at-least 1
note "bound: 256 in the background at most, the next one lingered in the call"

# exit: the server closes and exits at once; the client, told the close
# returned, sends more and then its EOF.  Its whole answer and EOF arrive.
out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=5000 shim "$PROGS/graceful_cases" exit 2>&1)
[ "$out" = "client: received 200000 bytes, then EOF" ] || fail "exit: $out"
bare=$("$PROGS/graceful_cases" exit 2>&1)
[ "$bare" != "$out" ] || fail "exit: bare run also clean: this shows nothing"
note "exit: $out (bare: $bare)"
