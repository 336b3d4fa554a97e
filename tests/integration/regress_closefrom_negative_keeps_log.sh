# Regression: closefrom() with a negative lowfd (glibc closes from 0) was
# passed through as it was, and closed the shim's own descriptors with the
# program's: the log's number, taken again by the program's next open(),
# received the next record, written into the program's own file.
# Before: "the program's file holds 1091 bytes (the shim wrote into it):
# {"ts":...,"event":"double_close","fd":5,...", the log only the first.
. "$(dirname "$0")/../lib.sh"
env $SAN_VARS LD_PRELOAD="$PRELOAD" SOCKSHIM_LOG="$WORK/a.log" "$PROGS/closefrom_negative" "$WORK/data" \
	>"$WORK/out" 2>&1 || fail "exit $?: $(cat "$WORK/out")"
size=$(wc -c <"$WORK/data")
[ "$size" = 0 ] || fail "the program's file holds $size bytes (the shim wrote into it): $(head -c 200 "$WORK/data")"
grep -q '"event":"close_error"' "$WORK/a.log" || fail "no close_error record: $(cat "$WORK/a.log")"
grep -q '"event":"double_close","fd":5' "$WORK/a.log" || fail "no double_close record in the log: $(cat "$WORK/a.log")"
note "the program's file untouched; both records in the log"
