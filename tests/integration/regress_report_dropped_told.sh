# Regression: the report counted log_dropped records as records but never
# said how many records they report lost, so its totals read as exact when
# they were not (66 records lost in a helper's rsyslog-restart run, told
# nowhere).  Now the sum of their "dropped" is printed, and is in --json
# ("dropped": {"records", "count"}); it is in no total.
# Before: no line matching /^dropped +66 /.
. "$(dirname "$0")/../lib.sh"
REPORT="$B/sockshim-report"
{
	printf '%s\n' '{"ts":"2026-11-30T10:00:00.000001Z","pid":1,"tid":1,"prog":"a","host":"h1","event":"close_error"}'
	printf '%s\n' '{"ts":"2026-11-30T10:00:01.000001Z","pid":1,"tid":1,"prog":"a","host":"h1","event":"log_dropped","dropped":60}'
	printf '%s\n' '{"ts":"2026-11-30T10:00:02.000001Z","pid":2,"tid":2,"prog":"a","host":"h1","event":"log_dropped","dropped":6}'
} >"$WORK/log"
"$REPORT" "$WORK/log" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "report: exit $?"; }
assert_grep "$WORK/out" '^dropped +66 .*as 2 log_dropped records say'
"$REPORT" --json "$WORK/log" >"$WORK/out.json" 2>&1 || fail "report --json"
python3 - "$WORK/out.json" <<'PY' || fail "--json: dropped"
import json, sys
d = json.load(open(sys.argv[1]))["dropped"]
assert d == {"records": 2, "count": 66}, d
PY
note "66 records lost, told"
