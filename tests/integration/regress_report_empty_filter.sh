# Regression: an empty filter value (--host '', --event '', --prog '')
# filtered nothing out, and the report counted every record as if it had
# been asked for them (found by a helper's sweep).  Now it is a usage error
# (exit 2) that says so.
# Before: "--host '': exit 0, expected 2".
. "$(dirname "$0")/../lib.sh"
REPORT="$B/sockshim-report"
printf '%s\n' '{"ts":"2026-11-30T10:00:00.000001Z","pid":1,"tid":1,"prog":"a","host":"h1","event":"close_error"}' >"$WORK/log"
for opt in --host --event --prog; do
	rc=0
	"$REPORT" "$opt" '' "$WORK/log" >"$WORK/out" 2>&1 || rc=$?
	[ "$rc" = 2 ] || { cat "$WORK/out"; fail "$opt '': exit $rc, expected 2"; }
	assert_grep "$WORK/out" "$opt: an empty value"
done
# (a real value still filters: h2 has no record)
rc=0
"$REPORT" --host h2 "$WORK/log" >"$WORK/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$WORK/out"; fail "--host h2: exit $rc, expected 1 (no record)"; }
note "empty filter values refused"
