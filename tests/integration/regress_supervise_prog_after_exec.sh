# Regression: a record of a supervised program that another had exec'd
# named no program ("prog":"", and "(empty)" in sockshim-report) when any
# process of the tree forked or exited between the exec and the program's
# first trapped call: the exec clears the name, to be read again at the
# next call, but only a call found in the threads' cache read it; any fork
# or exit empties that cache, and the call found the process by its pid
# instead, without reading (found by a helper's sweep).
# Before: {"prog":"","event":"close_error"}.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SV="$B/sockshim-supervise"
P="$PROGS/static/trap_ticks"
[ -x "$SV" ] && [ -x "$P" ] || fail "build/sockshim-supervise or $P is missing"
# a shell starts trap_ticks, which sleeps 300 ms before its one record,
# while the shell forks and reaps sleep and true
SOCKSHIM_LOG="$WORK/t.log" "$SV" -- sh -c "$P later 300 & sleep 0.1; /bin/true; wait" ||
	fail "exit $?"
assert_json_lines "$WORK/t.log"
progs=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["event"] == "close_error":
        print(r["prog"])' "$WORK/t.log")
note "the close_error record's prog: ${progs:-none}"
[ "$progs" = trap_ticks ] || fail "close_error records of prog \"$progs\", expected one of trap_ticks"
