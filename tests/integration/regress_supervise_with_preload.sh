# Regression: the library in LD_PRELOAD (a unit's drop-in that preloads
# it, whose command runs sockshim --supervise) and the supervisor both
# watched the program, and every record was written twice (6 close_rst for
# 3 resets); under --graceful the library also ran inside the supervisor
# and wrote false records of the supervisor's own sockets (shutdown_error
# ENOTCONN).  Now the launcher and the supervisor take the library out of
# what the program inherits, and the library steps aside inside the
# supervisor (found by a helper's sweep).
# tests/progs/seed_server resets each of its 3 clients; the kernel's count
# (private network namespace) is the oracle.
# Before: "launcher: 6 close_rst records for 3 resets".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
private_net
export NSTAT_HISTORY="$WORK/nstat.history"
# (kernel_aborts: the namespace's totals; each run's is the difference)
N=3

# run NAME COMMAND...: the server under COMMAND, with the library preloaded
run() {
	name=$1
	shift
	port=$(free_port)
	log="$WORK/$name.log"
	before=$(kernel_aborts)
	LD_PRELOAD="$PRELOAD" "$@" "$PROGS/seed_server" "$port" 100000 "$N" >"$WORK/$name.out" 2>&1 &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_listen "$port"
	for i in $(seq "$N"); do
		"$PROGS/seed_client" "$port" 60000 >>"$WORK/$name.clients" 2>&1
	done
	wait "$pid" || { rc=$?; cat "$WORK/$name.out"; fail "$name: exit $rc"; }
	resets=$(($(kernel_aborts) - before))
	records=$(count_events "$log" close_rst)
	note "$name: $records close_rst records for $resets resets"
	[ "$records" = "$resets" ] || fail "$name: $records close_rst records for $resets resets"
	if grep -q '"prog":"sockshim-supervise"' "$log"; then
		grep '"prog":"sockshim-supervise"' "$log" | head -3
		fail "$name: records of the supervisor's own sockets"
	fi
}

run launcher "$TOP/tools/sockshim" --supervise --log "$WORK/launcher.log" --
# (a client slower than the server's close, on a busy machine, makes no
# reset: each run's records are held to the kernel's count above, which
# must not be 0)
[ "$resets" -ge 1 ] || fail "launcher: $resets resets of $N: the bug did not show"
SOCKSHIM_LOG="$WORK/direct.log" run direct "$B/sockshim-supervise" --
# under graceful: every answer whole, nothing of the supervisor's recorded
SOCKSHIM_LOG="$WORK/graceful.log" SOCKSHIM_GRACEFUL=1 run graceful "$B/sockshim-supervise" --
[ "$(grep -c '^received 100000 bytes, then EOF$' "$WORK/graceful.clients")" = "$N" ] ||
	{ cat "$WORK/graceful.clients"; fail "graceful: not every answer whole"; }
