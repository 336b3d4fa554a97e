# Regression: --since/--until with a time of day and no zone
# (2026-11-30T10:00:00) were taken for UTC without a word, though the help
# asks for RFC 3339, which requires the zone: an operator in another zone
# counted the wrong hours (found by a helper's sweep).  Now that is a
# usage error; Z, an offset, and a bare date (its midnight, UTC) work.
# Before: "--since 2026-11-30T10:00:00: exit 0, expected 2".
. "$(dirname "$0")/../lib.sh"
REPORT="$B/sockshim-report"
printf '%s\n' '{"ts":"2026-11-30T10:00:00.000001Z","pid":1,"tid":1,"prog":"a","host":"h1","event":"close_error"}' >"$WORK/log"
for opt in --since --until; do
	rc=0
	"$REPORT" "$opt" 2026-11-30T10:00:00 "$WORK/log" >"$WORK/out" 2>&1 || rc=$?
	[ "$rc" = 2 ] || { cat "$WORK/out"; fail "$opt 2026-11-30T10:00:00: exit $rc, expected 2"; }
	assert_grep "$WORK/out" "has no time zone"
done
# with a zone: the record at 10:00:00.000001Z is after 10:00Z, and after
# 11:00+01:00 (the same instant), but not after 10:00-01:00 (11:00Z)
for since in 2026-11-30T10:00:00Z 2026-11-30T11:00:00+01:00 2026-11-30; do
	"$REPORT" --since "$since" "$WORK/log" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "--since $since"; }
	assert_grep "$WORK/out" '^records +1$'
done
rc=0
"$REPORT" --since 2026-11-30T10:00:00-01:00 "$WORK/log" >"$WORK/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$WORK/out"; fail "--since 10:00-01:00: exit $rc, expected 1 (no record)"; }
note "a time without its zone refused; with one, counted right"
