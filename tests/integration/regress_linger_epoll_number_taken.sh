# Regression: the background thread of SOCKSHIM_GRACEFUL=1 read the number
# of its epoll instance without holding it and then waited on that number.
# A program that dup2()ed its own epoll instance onto it in between (the
# shim moves its copy away, the program gets the number, as bare) had the
# background wait on the program's instance, with no timeout when idle:
# the background consumed the program's edge-triggered event, and saw
# nothing of its own meanwhile (a socket handed over with its peer's FIN
# 50 ms later ended only when the program's event came, 1 s later).  Now
# the thread holds the number while it waits, and a move of it wakes the
# thread first.
#
# tests/progs/linger_epoll_number_taken, its background's first
# epoll_pwait held back 1 s at its entry by strace (delay_enter; the
# number is already read then), the dup2 made meanwhile.
# Before: "event stolen", the lingering socket's record "ms":1128.
# Now: "program got its event", "ms" ~70, as without the delay.
. "$(dirname "$0")/../lib.sh"
command -v strace >/dev/null || skip "strace is not installed"
no_sanitizer "the timing of the background's first wait under strace"

out=$("$PROGS/linger_epoll_number_taken") || fail "bare: exit $?"
echo "$out" | grep -q "^program got its event$" || fail "bare: $out"
out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=5000 SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/shim.log" \
	strace -f -qq -o /dev/null -e trace=epoll_pwait -e inject=epoll_pwait:delay_enter=1000000:when=1 \
	env LD_PRELOAD="$PRELOAD" "$PROGS/linger_epoll_number_taken") || fail "under the shim: exit $?"
fd=$(echo "$out" | sed -n 's/^lingering: fd //p')
ms=$(python3 - "$WORK/shim.log" "$fd" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
b = [r for r in recs if r["event"].startswith("graceful_") and r.get("fd") == int(sys.argv[2])]
print(b[0]["ms"] if len(b) == 1 else "none")
PY
)
note "under the shim: $(echo "$out" | tail -1); the lingering socket: ${ms} ms"
echo "$out" | grep -q "^program got its event$" ||
	fail "the background waited on the program's epoll instance: $(echo "$out" | tail -1)"
[ "$ms" != none ] || fail "no graceful record for fd $fd: $(cat "$WORK/shim.log")"
[ "$ms" -lt 600 ] || fail "its peer's FIN went unseen for ${ms} ms"
