# tsan: yes
# A signal handler that closes sockets, and causes double_close records,
# fires every 700 us while the interrupted thread is itself inside close()
# or writing a record: no deadlock, no corrupt record, and every event of
# the handler and of the main thread is there, exactly once.  EINTR passes
# through as the real call gives it.
# serial: yes
# (run alone: the handler's 700 us timer against the records' writes; a
# slower log open already once cost it a second dropped record)
. "$(dirname "$0")/../lib.sh"

for level in errors all; do
	rm -f "$WORK/log"
	SOCKSHIM_EVENTS=$level SOCKSHIM_LOG="$WORK/log" timeout 120 env $SAN_VARS LD_PRELOAD="$PRELOAD" \
		"$PROGS/signal_close" storm 50000 >"$WORK/out" || fail "$level: exit $? (124: a deadlock)"
	handled=$(sed -n 's/^handled //p' "$WORK/out")
	doubles=$(sed -n 's/^main_doubles //p' "$WORK/out")
	[ "${handled:-0}" -gt 10 ] || fail "$level: the handler ran ${handled:-0} times"
	check_log "$WORK/log" # every line one valid record
	python3 - "$WORK/log" "$handled" "$doubles" <<'PY' || fail "$level: counts"
import json, sys
handled, doubles = int(sys.argv[2]), int(sys.argv[3])
recs = [json.loads(l) for l in open(sys.argv[1])]
dc = [r for r in recs if r["event"] == "double_close"]
main = [r for r in dc if r.get("backtrace") and r["backtrace"][0].get("symbol", "").startswith("main_closer+")]
# A handler's record made while the interrupted code opens the log file
# (lazily, at the first record) is lost, not waited for: counted in a
# later log_dropped (regress: it was lost uncounted, 1 run in 6 under TSan).
# Only there: one log_dropped, among the first records.  (How many it
# counts is how many times the handler ran while the file was opened: two
# in one run in CI on a VM whose first page faults are slow, where this
# asserted at most one.)
drops = [i for i, r in enumerate(recs) if r["event"] == "log_dropped"]
assert len(drops) <= 1 and all(i < 10 for i in drops), drops
dropped = sum(recs[i]["dropped"] for i in drops)
assert len(dc) + dropped == handled + doubles, (len(dc), dropped, handled, doubles)
# With backtraces, the main thread's are named; the handler's are named too,
# or have none when the signal came while the thread was inside the
# unwinder (which is not entered again from there).
if any(r.get("backtrace") for r in dc):
    assert len(main) == doubles, (len(main), doubles)
PY
	note "$level: $handled handler runs, $doubles main double closes, all logged once"
done

"$PROGS/signal_close" eintr >"$WORK/bare" 2>/dev/null
SOCKSHIM_LOG="$WORK/elog" env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/signal_close" eintr >"$WORK/shim"
assert_grep "$WORK/bare" '^accept -1 EINTR$'
diff -u "$WORK/bare" "$WORK/shim" || fail "EINTR not passed through"
note "accept interrupted: $(cat "$WORK/shim") with and without the shim"
