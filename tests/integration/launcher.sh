# The launcher: each option sets its variable (as the program sees it); the
# library goes first in LD_PRELOAD and what was there stays; the program's
# exit status passes through; a static program is refused with a message;
# bad options fail cleanly and nothing runs.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "checks LD_PRELOAD values and paths"
L="$TOP/tools/sockshim"

"$L" --reuseaddr --reuseport --graceful --linger-ms 250 --linger-mode sync --log "$WORK/x %p.log" \
	--events all --no-backtrace --depth 7 -- "$PROGS/show_env" >"$WORK/env" || fail "exit $?"
for want in SOCKSHIM_REUSEADDR=1 SOCKSHIM_REUSEPORT=1 SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=250 \
	SOCKSHIM_LINGER_MODE=sync "SOCKSHIM_LOG=$WORK/x %p.log" SOCKSHIM_EVENTS=all SOCKSHIM_BACKTRACE=0 \
	SOCKSHIM_BACKTRACE_DEPTH=7 "LD_PRELOAD=$SHIM"; do
	grep -qxF "$want" "$WORK/env" || { cat "$WORK/env"; fail "missing $want"; }
done
"$L" --graceful=always --raw -- "$PROGS/show_env" >"$WORK/env2" 2>/dev/null
grep -qx SOCKSHIM_GRACEFUL=always "$WORK/env2" && grep -qx SOCKSHIM_RAW=seccomp "$WORK/env2" ||
	fail "--graceful=always / --raw"
# ... and the library acts on them
"$L" --reuseaddr -- "$PROGS/reuse_check" | grep -qx 'tcp4 new addr=1 port=0' || fail "--reuseaddr had no effect"
note "every option sets its variable"

LD_PRELOAD="$PROGS/count_close.so" "$L" -- "$PROGS/show_env" >"$WORK/env3" 2>/dev/null
grep -qxF "LD_PRELOAD=$SHIM:$PROGS/count_close.so" "$WORK/env3" || { cat "$WORK/env3"; fail "LD_PRELOAD not kept"; }
note "an existing LD_PRELOAD stays, after the library"

for status in 0 1 42 255; do
	"$L" -- "$PROGS/show_env" "$status" >/dev/null
	[ $? = "$status" ] || fail "exit status $status not passed through"
done
"$L" -- sh -c 'kill -TERM $$'
[ $? = 143 ] || fail "death by signal not passed through"
note "exit statuses pass through"

"$L" --preload -- "$PROGS/static_hello" >"$WORK/out" 2>"$WORK/err"
[ $? = 2 ] || fail "static program not refused with --preload"
grep -q "statically linked" "$WORK/err" || fail "no message: $(cat "$WORK/err")"
[ ! -s "$WORK/out" ] || fail "the static program ran"
note "static with --preload: $(cat "$WORK/err")"
# Without --preload a static program runs under the supervisor
# (tests/integration/supervise_*.sh test it).
"$L" --log "$WORK/static.log" -- "$PROGS/static_hello" >"$WORK/out" 2>"$WORK/err" ||
	fail "static program under the supervisor: exit $? $(cat "$WORK/err")"
check_log "$WORK/static.log" --event supervised --count 1
note "static without --preload: run under the supervisor"

for bad in "--bogus" "--depth 0" "--depth x" "--linger-ms -1" "--linger-mode later" \
	"--events most" "--graceful=sometimes" "--log" "--" ""; do
	# shellcheck disable=SC2086
	"$L" $bad -- touch "$WORK/ran" >/dev/null 2>"$WORK/err"
	rc=$?
	[ "$bad" = "--" ] || [ "$bad" = "" ] || {
		[ $rc = 2 ] || fail "'$bad': exit $rc"
		[ -s "$WORK/err" ] || fail "'$bad': no message"
		[ ! -e "$WORK/ran" ] || fail "'$bad': the program ran"
	}
done
"$L" 2>/dev/null; [ $? = 2 ] || fail "no program: not exit 2"
"$L" -- /no/such/program 2>"$WORK/err"; [ $? = 2 ] && grep -q "no such program" "$WORK/err" || fail "missing program"
"$L" --help | grep -q -- '--linger-mode' || fail "--help"
"$L" --version | grep -qE '^sockshim [0-9]' || fail "--version"
MANWIDTH=80 man -l "$TOP/tools/sockshim.1" >/dev/null 2>&1 || [ ! -x "$(command -v man)" ] || fail "man page does not render"
note "bad options refused, nothing ran"
