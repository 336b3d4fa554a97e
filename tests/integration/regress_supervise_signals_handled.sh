# Regression: a signal the program handles, sent to the supervisor (the
# pid the operator started: a service manager's, a script's), killed the
# supervisor, and the program with it (PR_SET_PDEATHSIG), where bare the
# program's handler ran and it went on: the supervisor passed on SIGTERM,
# SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH only, and took
# every other one itself, with its default action.  Now every signal
# whose default would end the supervisor is passed on too: SIGALRM,
# SIGVTALRM, SIGPROF, SIGPWR, SIGIO, SIGSTKFLT, SIGXCPU, SIGXFSZ and the
# real-time ones (found by a helper's sweep of static programs).
#
# Before: "SIGALRM: the supervisor died (exit 142), the program with it".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SV="$B/sockshim-supervise"
[ -x "$SV" ] || fail "build/sockshim-supervise is missing"
SIGS="ALRM VTALRM PROF PWR IO STKFLT XCPU XFSZ RTMIN RTMIN+3 RTMAX"
# the program: a handler for each, its signal's name into got; SIGTERM
# ends it with status 7
cat >"$WORK/prog.py" <<'PY'
import signal, sys, time
got = open(sys.argv[1], "a", buffering=1)
names = sys.argv[2].split()
def handler(n, _):
    got.write(f"{n}\n")
for name in names:
    signal.signal(signal.Signals["SIG" + name] if "+" not in name else
                  signal.SIGRTMIN + int(name.split("+")[1]), handler)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))
open(sys.argv[1] + ".ready", "w").close()
while True:
    time.sleep(0.05)
PY
# run LABEL [SUPERVISOR...]: the program started (under the supervisor, if
# given), each signal sent to the pid started; every one must reach the
# handler while the pid lives on; then a SIGTERM, exit 7
run() {
	label=$1
	shift
	got="$WORK/got.$label"
	SOCKSHIM_LOG="$WORK/sv.$label.log" "$@" python3 "$WORK/prog.py" "$got" "$SIGS" &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_file "$got.ready" "$label: the program did not start"
	n=0
	for s in $SIGS; do
		kill -s "$s" "$pid" 2>/dev/null || kill "-$s" "$pid"
		n=$((n + 1))
		for _ in $(seq 50); do
			[ "$(wc -l <"$got")" -ge "$n" ] && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			fail "$label: SIG$s: the supervisor died (exit $?), the program with it"
		fi
		[ "$(wc -l <"$got")" -ge "$n" ] || fail "$label: SIG$s did not reach the program's handler"
	done
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" = 7 ] || fail "$label: exit $rc after the SIGTERM, not 7"
	note "$label: $(tr '\n' ' ' <"$got")handled, exit $rc"
}
run bare
run supervised "$SV" --
[ "$(cat "$WORK/got.bare")" = "$(cat "$WORK/got.supervised")" ] ||
	fail "the signals the handler saw differ: bare $(tr '\n' ' ' <"$WORK/got.bare"), supervised $(tr '\n' ' ' <"$WORK/got.supervised")"
