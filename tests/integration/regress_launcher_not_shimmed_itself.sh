# Regression: a launcher started with the library already in LD_PRELOAD (a
# unit's drop-in that preloads it, a nested launcher) was watched itself:
# its shell and the commands it runs wrote records of their own into the
# program's log, a close_error of dash's harmless close(-1) at every start
# at the default level, and records of grep, od and readlink at
# events=all.  Now the launcher runs again without the library first.
# Before: "records of the launcher's own processes: "prog":"sh" ..." at the
# default level (1 close_error), and at events=all 8 records (the starts of
# grep twice, od three times, readlink, and that close_error), and a bad
# variable's config_error twice, the shell's and the program's (the
# contract audit); the first shell, started with the library before the
# script can run, now finds itself the launcher's and steps aside.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "checks LD_PRELOAD values and whose records a log holds"
L="$TOP/tools/sockshim"
for level in errors all; do
	log="$WORK/$level.log"
	LD_PRELOAD="$SHIM" SOCKSHIM_LOG="$log" SOCKSHIM_EVENTS=$level \
		"$L" -- "$PROGS/events" double_close >/dev/null 2>"$WORK/err" ||
		fail "$level: exit $?: $(cat "$WORK/err")"
	others=$(grep -v '"prog":"events"' "$log" | grep -o '"prog":"[^"]*","host":"[^"]*","event":"[^"]*"' | sort | uniq -c)
	[ -z "$others" ] || fail "$level: records of the launcher's own processes: $others"
	n=$(grep -c '"event":"double_close"' "$log")
	[ "$n" = 1 ] || fail "$level: $n double_close records of the program, 1 expected"
done
# a bad variable: one config_error, the program's (the shell that found
# the library preloaded was started with it: it steps aside)
LD_PRELOAD="$SHIM" SOCKSHIM_LOG="$WORK/bad.log" SOCKSHIM_LINGER_MS=junk \
	"$L" -- "$PROGS/events" close_error >/dev/null 2>"$WORK/err" || fail "bad variable: exit $?: $(cat "$WORK/err")"
n=$(grep -c '"event":"config_error"' "$WORK/bad.log")
[ "$n" = 1 ] || fail "bad variable: $n config_error records, 1 expected: $(grep config_error "$WORK/bad.log")"
grep -q '"prog":"events".*"event":"config_error"' "$WORK/bad.log" || fail "the config_error is not the program's"
# the program still gets the library (once, first) and what else was
# preloaded, and nothing of the launcher's own in its environment
LD_PRELOAD="$SHIM:$PROGS/empty.so" "$L" -- "$PROGS/show_env" >"$WORK/env" || fail "show_env: exit $?"
grep -qxF "LD_PRELOAD=$SHIM:$PROGS/empty.so" "$WORK/env" || fail "LD_PRELOAD: $(grep LD_PRELOAD "$WORK/env")"
! grep -q 'launcher_preload' "$WORK/env" || fail "the launcher's variable reached the program: $(grep launcher_preload "$WORK/env")"
# and under the supervisor: nothing preloaded that the program did not have
LD_PRELOAD="$SHIM:$PROGS/empty.so" "$L" --supervise -- "$PROGS/show_env" >"$WORK/env2" 2>"$WORK/err2" ||
	fail "supervised show_env: exit $?: $(cat "$WORK/err2")"
grep -qxF "LD_PRELOAD=$PROGS/empty.so" "$WORK/env2" || fail "supervised LD_PRELOAD: $(grep LD_PRELOAD "$WORK/env2")"
# run by a shell that found it in PATH ($0 without a slash): the run again
# finds it too (a review: "/bin/sh: 0: cannot open sockshim")
mkdir -p "$WORK/bin"
cp "$L" "$WORK/bin/sockshim"
(cd "$WORK" && LD_PRELOAD="$SHIM" SOCKSHIM_LIBRARY="$SHIM" PATH="$WORK/bin:$PATH" bash sockshim -- "$PROGS/show_env") >"$WORK/env3" 2>"$WORK/err3" ||
	fail "bash sockshim from PATH: exit $?: $(cat "$WORK/err3")"
grep -q "^LD_PRELOAD=" "$WORK/env3" || fail "bash sockshim from PATH: no LD_PRELOAD"
# the launcher's variable is its own run's only: one in the environment is
# dropped, never preloaded
sockshim_launcher_preload=/nonexistent/libx.so "$L" -- "$PROGS/show_env" >"$WORK/env4" || fail "stray variable: exit $?"
grep -qxF "LD_PRELOAD=$SHIM" "$WORK/env4" || fail "stray variable: $(grep LD_PRELOAD "$WORK/env4")"
note "only the program's records, at errors and all; LD_PRELOAD kept: $(grep LD_PRELOAD "$WORK/env")"
