# Go programs: their net package makes system calls without libc.  Without
# raw mode, one raw_syscalls_unseen record says so; with
# SOCKSHIM_RAW=seccomp the seed's case is caught (a close_rst whose
# backtrace symbolizes to the Go function that called Close) and, with
# SOCKSHIM_GRACEFUL=1 too, cured; a Go program with hundreds of goroutines
# and connections runs the same with and without raw mode, and Go's own
# signal handling still works; a raw-mode Go program that execs a static Go
# child and a child without the shim: both run normally.
# group: servers
. "$(dirname "$0")/../lib.sh"
no_sanitizer "raw mode patches the Go program; the sanitizer runtimes are not for it"
go_setup
grep -q '^Seccomp:' /proc/self/status || skip "this kernel has no seccomp"

# Built by the test with plain go build (the static child: CGO_ENABLED=0).
for p in seedserver seedclient stress execer child; do
	(cd "$TOP/tests/go" && go build -o "$G/$p" "./$p") 2>"$WORK/build.err" || { cat "$WORK/build.err"; fail "go build $p"; }
done
(cd "$TOP/tests/go" && CGO_ENABLED=0 go build -o "$G/child-static" ./child) || fail "go build static child"

serve() { # log-file [VAR=VALUE...]: one seed server life, one client; prints the client's line
	log=$1
	shift
	port=$(free_port)
	env "$@" SOCKSHIM_LOG="$log" LD_PRELOAD="$PRELOAD" "$G/seedserver" "$port" 4000000 1 &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_listen "$port"
	"$G/seedclient" "$port" 60000
	wait "$pid"
}

# Without raw mode: the reset, and one record saying the calls are unseen.
out=$(serve "$WORK/plain.log")
case $out in *"connection reset by peer"*) ;; *) fail "bare: no reset: $out" ;; esac
check_log "$WORK/plain.log" --event raw_syscalls_unseen --count 1
check_log "$WORK/plain.log" --count 1
note "without raw mode: $out; one raw_syscalls_unseen"

# Raw mode: the close_rst, symbolized to main.answerAndClose.
out=$(serve "$WORK/raw.log" SOCKSHIM_RAW=seccomp)
check_log "$WORK/raw.log" --event raw_mode --count 1
assert_grep "$WORK/raw.log" '"reason":"enabled:'
check_log "$WORK/raw.log" --event close_rst --where reason=unread_data --count 1
"$B/sockshim-report" "$WORK/raw.log" >"$WORK/report" || fail "report"
assert_grep "$WORK/report" 'main\.answerAndClose'
python3 - "$WORK/raw.log" >"$WORK/addrs" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if '"close_rst"' in l][0]
print("\n".join(f["offset"] for f in r["backtrace"]))
PY
go tool addr2line "$G/seedserver" <"$WORK/addrs" | grep -q '^main\.answerAndClose$' ||
	fail "go tool addr2line does not find main.answerAndClose in the backtrace"
note "raw mode: close_rst caught, backtrace symbolizes to main.answerAndClose"

# Raw mode and graceful close: the whole answer and a clean EOF.
out=$(serve "$WORK/graceful.log" SOCKSHIM_RAW=seccomp SOCKSHIM_GRACEFUL=1)
[ "$out" = "received 4000000 bytes, then EOF" ] || fail "raw+graceful: $out"
note "raw mode + graceful: $out"

# Hundreds of goroutines, GOMAXPROCS 4, signal.Notify(SIGSYS).
timeout 120 "$G/stress" >"$WORK/stress.bare" 2>&1 || fail "stress bare: exit $?"
SOCKSHIM_RAW=seccomp SOCKSHIM_GRACEFUL=1 SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/stress.log" \
	timeout 120 env LD_PRELOAD="$PRELOAD" "$G/stress" >"$WORK/stress.raw" 2>&1 || fail "stress raw: exit $?"
diff -u "$WORK/stress.bare" "$WORK/stress.raw" || fail "stress: results differ in raw mode"
assert_grep "$WORK/stress.raw" '^echoes 1000 of 1000$'
assert_grep "$WORK/stress.raw" '^signal: bad system call$'
check_log "$WORK/stress.log" --event accept --at-least 1000
note "stress: $(head -1 "$WORK/stress.raw"), signal.Notify(SIGSYS) works, calls seen"

# Exec'd children: a static Go child (its stub at the same address as the
# parent's) and children without the shim.
SOCKSHIM_RAW=seccomp SOCKSHIM_LOG="$WORK/exec.%p" timeout 120 env LD_PRELOAD="$PRELOAD" \
	"$G/execer" "$G/child-static" "$G/child" >"$WORK/exec.out" 2>&1 || fail "execer: exit $?"
[ "$(grep -c '"child ok" err=<nil>' "$WORK/exec.out")" = 4 ] || { cat "$WORK/exec.out"; fail "children"; }
note "execer: static and unshimmed children ran normally"

# The launcher: warns for a Go program (unless --raw), refuses a static one.
"$TOP/tools/sockshim" -- "$G/child" >"$WORK/l.out" 2>"$WORK/l.err" || fail "launcher: exit $?"
assert_grep "$WORK/l.err" "Go program: its net package makes raw system calls"
"$TOP/tools/sockshim" --raw --log "$WORK/l.log" -- "$G/child" >"$WORK/l.out" 2>"$WORK/l.err" || fail "launcher --raw: exit $?"
[ ! -s "$WORK/l.err" ] || fail "launcher --raw warned: $(cat "$WORK/l.err")"
assert_grep "$WORK/l.out" "^child ok$"
"$TOP/tools/sockshim" --preload --raw -- "$G/child-static" >/dev/null 2>"$WORK/l.err" && fail "static Go program not refused"
assert_grep "$WORK/l.err" "statically linked"
note "launcher: warns for Go, --raw runs it, a static Go program is refused with --preload"
