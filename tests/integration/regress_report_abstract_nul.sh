# A unix socket bound in the abstract namespace with the whole struct
# sockaddr_un as its length (a common C habit) has a name padded with NUL
# bytes; the shim's records carry them as \u0000, which is valid JSON.
# sockshim-report must count those records, not call them malformed
# (found by a helper's sweep of the log pipeline: 4 of 7 records of such a
# program "not JSON", in every route).
# Before the fix: "records 3", "malformed 4 (not JSON 4; ...)".
. "$(dirname "$0")/../lib.sh"

REPORT="$B/sockshim-report"
[ -x "$REPORT" ] || fail "no $REPORT"
log="$WORK/abstract.log"
env LD_PRELOAD="$PRELOAD" SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$log" \
	"$PROGS/abstract_padded" "sockshim-test-$$" >"$WORK/out" 2>&1 ||
	{ cat "$WORK/out"; fail "abstract_padded: exit $?"; }
assert_json_lines "$log"
assert_grep "$log" '"event":"accept".*sockshim-test-[0-9]+(\\u0000)+"'
lines=$(wc -l <"$log")
"$REPORT" "$log" >"$WORK/report.txt" 2>&1 || { cat "$WORK/report.txt"; fail "report: exit $?"; }
assert_grep "$WORK/report.txt" "^records +$lines\$"
assert_grep "$WORK/report.txt" '^malformed +0$'
note "$lines records with NUL-padded abstract names, none malformed"
