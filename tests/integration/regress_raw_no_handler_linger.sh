# Regression test for defect 9 of issue 10: in raw mode the close of a Go
# program runs inside the shim's SIGSYS handler, which must never linger
# there (a Go thread held in a handler, all signals blocked, for up to
# SOCKSHIM_LINGER_MS).  Even with SOCKSHIM_LINGER_MODE=sync, raw mode hands
# the socket to the background: the seed server's graceful close is logged
# with "mode":"async", and the client still gets its whole answer and EOF.
#
# Before the fix (main at 331749f): exit 1,
#   "2 records match (--event graceful_close --where mode=sync --count 0), expected 0"
#   ("event":"graceful_close",...,"mode":"sync" for both connections: each
#   close lingered in the handler); the clients got "received 4000000
#   bytes, then EOF" either way.
# group: servers
. "$(dirname "$0")/../lib.sh"
no_sanitizer "raw mode patches the Go program; the sanitizer runtimes are not for it"
go_setup
grep -q '^Seccomp:' /proc/self/status || skip "this kernel has no seccomp"

for p in seedserver seedclient; do
	(cd "$TOP/tests/go" && go build -o "$G/$p" "./$p") 2>"$WORK/build.err" || { cat "$WORK/build.err"; fail "go build $p"; }
done

# Two clients: a Go program leaves by exit_group, which no exit handler of
# the shim's sees, so the server must still be running (waiting for its
# second client) when the background finishes the first connection.
port=$(free_port)
SOCKSHIM_RAW=seccomp SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MODE=sync SOCKSHIM_EVENTS=all \
	SOCKSHIM_LOG="$WORK/log" bg_start timeout 20 env LD_PRELOAD="$PRELOAD" "$G/seedserver" "$port" 4000000 2
server=$BG_PID
wait_listen "$port"
out=$(timeout 20 "$G/seedclient" "$port" 60000)
[ "$out" = "received 4000000 bytes, then EOF" ] || fail "client: $out"
for _ in $(seq 200); do
	grep -Eq '"event":"graceful_(close|timeout)"' "$WORK/log" && break
	sleep 0.05
done
out2=$(timeout 20 "$G/seedclient" "$port" 60000)
[ "$out2" = "received 4000000 bytes, then EOF" ] || fail "second client: $out2"
wait "$server" || fail "server: exit $?"
assert_grep "$WORK/log" '"event":"raw_mode".*"reason":"enabled:'
for ev in graceful_close graceful_timeout; do
	check_log "$WORK/log" --event $ev --where mode=sync --count 0
done
python3 - "$WORK/log" <<'PY' || fail "the close was not handed to the background"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
done = [r for r in recs if r["event"] in ("graceful_close", "graceful_timeout")]
assert done and all(r["mode"] == "async" for r in done), done
PY
note "client: $out; the graceful close ran in the background (\"mode\":\"async\")"
