# Regression: once the program the supervisor started had exited and left
# a daemon behind (forked, new session, parent gone: busybox httpd without
# -f), the supervisor, which waits for every supervised process, dropped
# the SIGTERM, SIGINT and SIGHUP sent to it: it passed signals to the
# program only, which was gone, so nothing stopped the command (a service
# manager's stop, a script's cleanup, a Ctrl-C).  Now they go to what the
# program left behind, the supervisor's children as their subreaper (found
# by a helper's sweep).
#
# Before: "the supervisor still runs 5 s after its SIGTERM".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SV="$B/sockshim-supervise"
[ -x "$SV" ] || fail "build/sockshim-supervise is missing"
# term_and_wait PID TENTHS: SIGTERM to PID, then up to TENTHS tenths of a
# second for it to go; true if it went
term_and_wait() {
	kill -TERM "$1"
	for _ in $(seq "$2"); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	! kill -0 "$1" 2>/dev/null
}
# the daemon: its own session, a TERM ends it (after its current sleep)
SOCKSHIM_LOG="$WORK/sv.log" "$SV" -- sh -c '
	setsid sh -c "trap \"echo daemon got TERM >'"$WORK"'/daemon.out; exit 0\" TERM
		: >'"$WORK"'/daemon.ready
		while :; do sleep 0.1; done" </dev/null >/dev/null 2>&1 &
	echo $$ >'"$WORK"'/prog.pid
	exit 0' &
sv=$!
BG_PIDS="$BG_PIDS $sv"
# The TERM once the daemon's trap is set (before it, TERM ends the daemon
# and it writes nothing) and the program is gone (reaped by the
# supervisor), not after a fixed 0.5 s
wait_file "$WORK/daemon.ready" "the daemon did not start"
wait_file "$WORK/prog.pid" "the program did not start"
for _ in $(seq 200); do kill -0 "$(cat "$WORK/prog.pid")" 2>/dev/null || break; sleep 0.1; done
kill -0 "$sv" 2>/dev/null || fail "the supervisor did not wait for the daemon"
if ! term_and_wait "$sv" 50; then
	pkill -TERM -f 'trap "echo daemon got TERM' 2>/dev/null
	fail "the supervisor still runs 5 s after its SIGTERM"
fi
wait "$sv"
rc=$?
assert_grep "$WORK/daemon.out" "daemon got TERM"
note "the daemon got the TERM, the supervisor exited $rc"
[ "$rc" = 0 ] || fail "the supervisor exited $rc (the program's status was 0)"

# Hundreds left behind: the supervisor's list of its children is longer
# than one read of it, and a number cut at the end of that read was taken
# whole, another pid (found by a review).  800 daemons, a SIGTERM: every
# one goes, and so does the supervisor.  Before: "the supervisor still
# runs 10 s after its SIGTERM".
SOCKSHIM_LOG="$WORK/many.log" "$SV" -- "$PROGS/many_left_behind" 800 &
sv=$!
BG_PIDS="$BG_PIDS $sv"
for _ in $(seq 100); do
	[ "$(wc -w </proc/$sv/task/$sv/children 2>/dev/null)" = 800 ] && break
	sleep 0.1
done
[ "$(wc -w </proc/$sv/task/$sv/children)" = 800 ] || fail "the 800 daemons did not come to the supervisor"
if ! term_and_wait "$sv" 100; then
	left=$(wc -w </proc/$sv/task/$sv/children)
	pkill -KILL -P "$sv" 2>/dev/null
	fail "the supervisor still runs 10 s after its SIGTERM, $left of its 800 children left"
fi
note "800 daemons left behind: all gone at the SIGTERM, and the supervisor"
