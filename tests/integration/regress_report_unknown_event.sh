# Regression: sockshim-report --event with a name sockshim never writes (a
# misspelling: close_reset for close_rst) counted nothing and said
# nothing, as if the log had no such records (found by a helper's sweep).
# Now a warning names the events there are; the report is as before.
# Before: no warning on stderr.
. "$(dirname "$0")/../lib.sh"
REPORT="$B/sockshim-report"
printf '%s\n' '{"ts":"2026-11-30T10:00:00.000001Z","pid":1,"tid":1,"prog":"a","host":"h1","event":"close_rst"}' >"$WORK/log"
rc=0
"$REPORT" --event close_reset "$WORK/log" >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] || { cat "$WORK/out" "$WORK/err"; fail "--event close_reset: exit $rc, expected 1 (no record)"; }
assert_grep "$WORK/err" "warning: --event close_reset: sockshim writes no such event"
assert_grep "$WORK/err" " close_rst"
# a known name: no warning, and the record counted
rc=0
"$REPORT" --event close_rst,double_close "$WORK/log" >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/out" "$WORK/err"; fail "--event close_rst: exit $rc"; }
[ ! -s "$WORK/err" ] || { cat "$WORK/err"; fail "a warning for known events"; }
note "an unknown --event is told, known ones are not"
