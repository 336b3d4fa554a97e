# Regression: a socket lingering in the background (SOCKSHIM_GRACEFUL=1)
# whose private number had been taken by the program (dup2 onto it: the
# shim moved its copy elsewhere) removed, when it ended, the background's
# epoll registration at that old number, which by then was another
# lingering socket's: that one was looked at only at its deadline.  Its
# peer's FIN went unseen, its graceful_close record said "ms":3000 (the
# whole SOCKSHIM_LINGER_MS), and the program's exit waited that long for it.
#
# tests/progs/linger_moved_number: A lingers at P; the program dup2()s onto
# P and closes it; B lingers at P; A's peer closes, then B's 50 ms later.
# Before: B's record "ms":3000, the run 3.0 s.  Now: B ends within
# ~100 ms of its close, as before the background watched with epoll.
# tsan: yes
. "$(dirname "$0")/../lib.sh"

start=$(date +%s%N)
out=$(env $SAN_VARS SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=3000 SOCKSHIM_EVENTS=all \
	SOCKSHIM_LOG="$WORK/shim.log" LD_PRELOAD="$PRELOAD" "$PROGS/linger_moved_number") ||
	fail "exit $?"
ms=$((($(date +%s%N) - start) / 1000000))
echo "$out" | grep -q "^A at P, moved; B at P$" || skip "B did not land at A's old number: $out"
fd=$(echo "$out" | sed -n 's/^B: fd //p')
b_ms=$(python3 - "$WORK/shim.log" "$fd" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
b = [r for r in recs if r["event"].startswith("graceful_") and r.get("fd") == int(sys.argv[2])]
print(b[0]["ms"] if len(b) == 1 else "none")
PY
)
note "B's lingering: ${b_ms} ms; the run: ${ms} ms"
[ "$b_ms" != none ] || fail "no graceful record for B (fd $fd): $(cat "$WORK/shim.log")"
[ "$b_ms" -lt 1000 ] || fail "B's peer's FIN went unseen till its deadline: ${b_ms} ms"
[ "$ms" -lt 2000 ] || fail "the exit waited ${ms} ms for B"
check_log "$WORK/shim.log" --event graceful_timeout --count 0
