# The seed's case: a server that answers and closes with request bytes still
# unread makes its client fail with "Connection reset by peer"; the server's
# log has a close_rst (reason unread_data) whose backtrace names the
# server's closing function.
. "$(dirname "$0")/../lib.sh"

port=$(free_port)
bg_start "$PROGS/seed_server" "$port" 4000000 1
wait_listen "$port"
"$PROGS/seed_client" "$port" 60000 >"$WORK/bare.out" && fail "bare: the client did not see a reset: $(cat "$WORK/bare.out")"
assert_grep "$WORK/bare.out" "then Connection reset by peer"
wait "$BG_PID"
note "bare: $(cat "$WORK/bare.out")"

port=$(free_port)
SOCKSHIM_LOG="$WORK/server.log" bg_start shim "$PROGS/seed_server" "$port" 4000000 1
wait_listen "$port"
"$PROGS/seed_client" "$port" 60000 >"$WORK/shim.out" && fail "the shim changed the outcome without SOCKSHIM_GRACEFUL"
wait "$BG_PID" || fail "server failed"
check_log "$WORK/server.log" --event close_rst --where reason=unread_data \
	--backtrace-has answer_and_close --count 1
unread=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["unread"])' "$WORK/server.log")
[ "$unread" -gt 50000 ] || fail "unread=$unread, expected most of the 60000-byte request"
note "shim: close_rst, unread=$unread, in answer_and_close"
