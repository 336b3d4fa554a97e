# A libuv server under load: Node.js's HTTP server, 8 clients making 100
# short connections each (Connection: close: libuv closes each with
# syscall(SYS_close)).  Under SOCKSHIM_GRACEFUL=1 with events=all: no
# failed request, and every accepted connection has its close record (one
# per accepted number; Node shuts the connection down itself first, and
# the client's FIN usually comes before the close: then nothing is left to
# linger on).  Before syscall() was interposed there were no close
# records at all.
. "$(dirname "$0")/../lib.sh"
command -v node >/dev/null 2>&1 || skip "node is not installed (Debian: nodejs)"
port=$(free_port)
SOCKSHIM_GRACEFUL=1 SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/node.log" \
	bg_start shim node "$TOP/tests/runtimes/http_server.js" "$port"
node_pid=$BG_PID
wait_listen "$port"
python3 "$TOP/tests/runtimes/short_clients.py" "$port" 8 100 >"$WORK/out" || fail "$(cat "$WORK/out")"
records_match() {
	python3 - "$WORK/node.log" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
# each accept's number closed (as an inet socket) after it, in order
open_ = {}
n_acc = n_close = 0
for r in recs:
    if r["event"] == "accept":
        assert r["fd"] not in open_, ("accepted twice without a close", r["fd"])
        open_[r["fd"]] = True
        n_acc += 1
    elif r["event"] == "close" and r.get("family") == "inet" and r["fd"] in open_:
        del open_[r["fd"]]
        n_close += 1
n_grace = sum(1 for r in recs if r["event"] == "graceful_close")
print(f"  accept {n_acc}, their close {n_close}, graceful_close {n_grace}")
assert n_acc == 800 and n_close == 800 and not open_, (n_acc, n_close, len(open_))
PY
}
eventually records_match # (the last closes come a little after their clients are done)
bg_stop "$node_pid"
note "$(cat "$WORK/out") requests"
records_match || fail "records do not match the connections"
