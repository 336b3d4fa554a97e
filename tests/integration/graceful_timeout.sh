# A peer that never stops sending: the socket is closed after
# SOCKSHIM_LINGER_MS with a graceful_timeout record; the sender's writes
# end.  In both modes.
. "$(dirname "$0")/../lib.sh"

for mode in async sync; do
	SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=400 SOCKSHIM_LINGER_MODE=$mode SOCKSHIM_LOG="$WORK/$mode.log" \
		timeout 60 env LD_PRELOAD="$PRELOAD" "$PROGS/graceful_cases" firehose >"$WORK/$mode.out" || fail "$mode: exit $?"
	assert_grep "$WORK/$mode.out" "^client: sent [0-9]+ bytes, then (Broken pipe|Connection reset by peer)$"
	check_log "$WORK/$mode.log" --event graceful_timeout --where mode=$mode --backtrace-has server_close --count 1
	python3 - "$WORK/$mode.log" <<'PY' || fail "$mode: timeout record fields"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if "graceful_timeout" in l][0]
assert r["ms"] >= 400 and r["drained"] > 0 and r["peer"].startswith("127.0.0.1:"), r
PY
	note "$mode: $(cat "$WORK/$mode.out"); graceful_timeout after $(python3 -c 'import json,sys;print([json.loads(l) for l in open(sys.argv[1])][0]["ms"])' "$WORK/$mode.log") ms"
done
