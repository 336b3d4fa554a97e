# Regression: a stop signal sent to the supervisor is passed on, and the
# supervisor stops once the program stops (regress_supervise_stop_signals);
# but a program that handled it (haproxy's SIGTTOU) left that wish set for
# ever, so that the next time the program stopped for any reason (an
# operator's SIGSTOP, a debugger) the supervisor stopped itself too, and
# when the program was continued nothing continued the supervisor: the
# program's next trapped call waited for ever.  Now the supervisor stops
# only when the program stops within 5 s of a stop signal it passed on
# (review of this stop's change).  Within that time any stop counts: a
# SIGTSTP handler that stops the program with SIGSTOP (top's) still stops
# the job (the second review: a first fix that waited for the very signal
# passed on left the shell waiting for ever).
# Before: "supervised: after SIGTTOU handled, SIGSTOP and SIGCONT to the
# program: it stopped beating (the started pid's state T)"; with the first
# fix: "supervised: SIGTSTP, handled by a SIGSTOP: the started pid did not
# stop".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SV="$B/sockshim-supervise"
[ -x "$SV" ] || fail "build/sockshim-supervise is missing"
# the program: SIGTTOU handled, a socket made and closed every 20 ms (a
# trapped close), its count in beats
cat >"$WORK/prog.py" <<'PY'
import os, signal, socket, sys, time
signal.signal(signal.SIGTTOU, lambda *_: None)
# top's way: a SIGTSTP handler that stops the program with SIGSTOP
signal.signal(signal.SIGTSTP, lambda *_: os.kill(os.getpid(), signal.SIGSTOP))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))
n = 0
while True:
    socket.socket().close()
    n += 1
    with open(sys.argv[1] + ".beats.tmp", "w") as f:
        f.write(str(n))
    os.rename(sys.argv[1] + ".beats.tmp", sys.argv[1] + ".beats")
    time.sleep(0.02)
PY
beats() { cat "$1.beats" 2>/dev/null || echo 0; }
state() { awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
beating() {
	b=$(beats "$1")
	for _ in $(seq 30); do
		sleep 0.1
		[ "$(beats "$1")" -gt "$b" ] && return 0
	done
	return 1
}
# run LABEL [SUPERVISOR...]
run() {
	label=$1
	shift
	base="$WORK/$label"
	SOCKSHIM_LOG="$WORK/$label.log" "$@" python3 "$WORK/prog.py" "$base" &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	beating "$base" || fail "$label: the program did not start"
	prog=$pid
	[ $# = 0 ] || prog=$(pgrep -P "$pid" | head -1)
	kill -TSTP "$pid"
	for _ in $(seq 30); do [ "$(state "$pid")" = T ] && [ "$(state "$prog")" = T ] && break; sleep 0.1; done
	[ "$(state "$prog")" = T ] || fail "$label: SIGTSTP, handled by a SIGSTOP: the program did not stop"
	[ "$(state "$pid")" = T ] || { kill -CONT "$prog"; fail "$label: SIGTSTP, handled by a SIGSTOP: the started pid did not stop"; }
	kill -CONT "$pid"
	beating "$base" || fail "$label: SIGCONT after SIGTSTP: the program did not run again"
	kill -TTOU "$pid"
	sleep 0.3
	beating "$base" || fail "$label: SIGTTOU: the program stopped beating"
	# (past the time a stop of the program stops the supervisor too)
	sleep 5.5
	# the operator stops and continues the program itself
	kill -STOP "$prog"
	sleep 0.5
	kill -CONT "$prog"
	beating "$base" || { st=$(state "$pid"); kill -CONT "$pid"; fail "$label: after SIGTTOU handled, SIGSTOP and SIGCONT to the program: it stopped beating (the started pid's state $st)"; }
	[ "$(state "$pid")" != T ] || { kill -CONT "$pid"; fail "$label: the started pid is stopped"; }
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" = 7 ] || fail "$label: exit $rc after the SIGTERM, not 7"
	note "$label: SIGTSTP handled by a SIGSTOP stopped the job; SIGTTOU handled; later SIGSTOP, SIGCONT: runs on; exit $rc"
}
run bare
run supervised "$SV" --
