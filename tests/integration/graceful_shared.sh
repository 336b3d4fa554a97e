# Shared descriptors close plainly under SOCKSHIM_GRACEFUL=1, so shared
# connections keep working: a forking echo server (socat ... fork EXEC:cat)
# serves sequential and concurrent clients; a dup'd socket closed on one
# number keeps working on the other; a forking server's parent closes its
# copy of each connection while the child answers.
. "$(dirname "$0")/../lib.sh"
command -v socat >/dev/null || skip "socat is not installed"

port=$(free_port)
SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/socat.log" \
	bg_start shim socat -t 5 TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr,fork,backlog=128 EXEC:cat
server=$BG_PID
wait_listen "$port"
for i in 1 2 3 4 5; do
	head -c 200000 /dev/urandom >"$WORK/in$i"
	socat -t 5 - TCP:127.0.0.1:"$port" <"$WORK/in$i" >"$WORK/out$i" || fail "sequential client $i: exit $?"
	cmp -s "$WORK/in$i" "$WORK/out$i" || fail "sequential client $i: echo differs"
done
pids=""
for i in 1 2 3 4 5 6 7 8; do
	head -c 300000 /dev/urandom >"$WORK/cin$i"
	socat -t 5 - TCP:127.0.0.1:"$port" <"$WORK/cin$i" >"$WORK/cout$i" &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "a concurrent client failed"; done
for i in 1 2 3 4 5 6 7 8; do
	cmp -s "$WORK/cin$i" "$WORK/cout$i" || fail "concurrent client $i: echo differs"
done
kill -0 "$server" || fail "socat died"
bg_stop "$server"
note "socat fork mode: 5 sequential and 8 concurrent echoes intact"

for c in dup fork; do
	SOCKSHIM_GRACEFUL=1 shim "$PROGS/graceful_cases" "$c" >"$WORK/$c.out" 2>&1 || { cat "$WORK/$c.out"; fail "$c: exit $?"; }
	grep -q "then EOF" "$WORK/$c.out" || fail "$c: $(cat "$WORK/$c.out")"
	note "$c: $(head -1 "$WORK/$c.out")"
done
