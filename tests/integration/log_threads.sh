# tsan: yes
# 8 threads x 5000 socket closes at SOCKSHIM_EVENTS=all into one file: every
# line is valid JSON, none interleaved, and the count is exact.
. "$(dirname "$0")/../lib.sh"

SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/log" env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/threads_close" 8 5000 >"$WORK/out" || fail "exit $?"
assert_grep "$WORK/out" '^ok$'
check_log "$WORK/log" --event socket --count 40000
check_log "$WORK/log" --event close --count 40000
# and the one start record of events=all
check_log "$WORK/log" --event start --count 1
lines=$(wc -l <"$WORK/log")
[ "$lines" = 80001 ] || fail "$lines lines, expected 80000 and the start record"
# every record of a close names the thread that made it
python3 - "$WORK/log" <<'PY' || fail "records per thread are not exact"
import collections, json, sys
tids = collections.Counter(json.loads(l)["tid"] for l in open(sys.argv[1]) if '"event":"close"' in l)
assert len(tids) == 8 and set(tids.values()) == {5000}, tids
PY
note "80000 records, all valid JSON, 5000 closes for each of 8 threads"
