# sockshim-report names JIT frames (frames in no module) from the perf map
# of the record's process (/tmp/perf-PID.map, or --perf-maps DIR): a
# synthetic log and map, then Node.js run with --perf-basic-prof, whose
# close_rst backtrace passes through the seed server's JavaScript.
. "$(dirname "$0")/../lib.sh"
REPORT="$B/sockshim-report"
[ -x "$REPORT" ] || fail "build/sockshim-report is not built"

mkdir "$WORK/maps"
printf '1000 100 JS:~other app.js:1:1\n1200 100 JS:~handler app.js:3:10\n1200 80 JS:*handler app.js:3:10\n' \
	>"$WORK/maps/perf-4242.map"
cat >"$WORK/jit.log" <<'LOG'
{"ts":"2026-11-30T10:00:00.000000Z","pid":4242,"tid":4242,"prog":"app","host":"h","event":"close_rst","fd":5,"reason":"unread_data","unread":10,"backtrace":[{"ip":"0x7f0000001000","module":"/usr/lib/libuv.so","offset":"0x1000","symbol":"uv_close+0x10"},{"ip":"0x1234"},{"ip":"0x5000"}]}
LOG
"$REPORT" --json --perf-maps "$WORK/maps" "$WORK/jit.log" >"$WORK/jit.json" || fail "report failed"
python3 - "$WORK/jit.json" <<'PY' || fail "JIT frames not named from the perf map"
import json, sys
fr = json.load(open(sys.argv[1]))["call_sites"]["top"][0]["frames"]
print("  ", [(f["symbol"], f["from"]) for f in fr])
# the later line for the same code wins (recompiled: JS:* after JS:~)
assert fr[1]["symbol"] == "JS:*handler app.js:3:10+0x34" and fr[1]["from"] == "perf-map", fr[1]
assert fr[2]["symbol"] is None, fr[2]  # in no range of the map
assert fr[0]["symbol"] == "uv_close+0x10", fr[0]
PY
"$REPORT" --json "$WORK/jit.log" | python3 -c '
import json, sys
fr = json.load(sys.stdin)["call_sites"]["top"][0]["frames"]
assert fr[1]["symbol"] is None, fr[1]  # no map of that process in /tmp
' || fail "a frame named without a map"

command -v node >/dev/null 2>&1 || skip "node is not installed (Debian: nodejs): the synthetic case passed"
port=$(free_port)
# (in $WORK: node writes an isolate log into its working directory)
SOCKSHIM_BACKTRACE_DEPTH=32 SOCKSHIM_LOG="$WORK/node.log" \
	bg_start shim env -C "$WORK" node --perf-basic-prof --interpreted-frames-native-stack \
	"$TOP/tests/runtimes/seed_server.js" "$port" 4000000 1
node_pid=$BG_PID
wait_listen "$port"
"$PROGS/seed_client" "$port" 400000 >/dev/null
wait "$node_pid"
"$REPORT" --json "$WORK/node.log" >"$WORK/node.json" || fail "report failed"
# node's map is named by node's pid (the record's), not the wrapper's
node_real=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["pid"])' "$WORK/node.log")
rm -f "/tmp/perf-$node_real.map"
python3 - "$WORK/node.json" <<'PY' || fail "no frame of the server's JavaScript named"
import json, sys
fr = json.load(open(sys.argv[1]))["call_sites"]["top"][0]["frames"]
js = [f["symbol"] for f in fr if f["from"] == "perf-map"]
print("  ", js[:8])
assert any("seed_server.js" in s for s in js), js
PY
