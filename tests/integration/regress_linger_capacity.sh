# Regression test for defect 8 of issue 10: in async mode the program's own
# thread never lingers, however many sockets linger at once.  300 slow
# clients (they keep sending after the answer) and SOCKSHIM_LINGER_MS=1500:
# the server's 300 closes all linger in the background at the same time,
# each ends in a graceful_timeout with "mode":"async", no record says
# "mode":"sync" or "background full", and every client got its whole
# answer.  RLIMIT_NOFILE is raised to 4096 first, so that the fixed
# shim's capacity (at least min(65536, RLIMIT_NOFILE / 4)) covers 300.
#
# Before the fix (main at 331749f): exit 1,
#   "1 records match (--where mode=sync --count 0), expected 0": 299 of
#   the 300 timed out in the background, the 257th close lingered in the
#   server's own call: "event":"graceful_timeout",
#   "mode":"sync","reason":"background full"
# serial: yes
# (run alone: 200 clients must keep sending for the whole linger time;
# another test's load beside it once kept some from it)
. "$(dirname "$0")/../lib.sh"

ulimit -n 4096 2>/dev/null || skip "RLIMIT_NOFILE cannot be raised to 4096 here (hard limit $(ulimit -Hn))"

SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=1500 SOCKSHIM_LOG="$WORK/log.%p" \
	timeout 25 env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/linger_capacity" 300 >"$WORK/out" 2>"$WORK/err" ||
	{ rc=$?; cat "$WORK/out" "$WORK/err"; fail "exit $rc"; }
cat "$WORK/out"
assert_grep "$WORK/out" "^clients: 300 of 300 got the whole answer and EOF"
pid=$(sed -n 's/^server: pid \([0-9]*\)$/\1/p' "$WORK/out")
log="$WORK/log.$pid"
touch "$log"
# Every process's log (the clients' too): nothing lingered in a call.
for f in "$WORK"/log.*; do
	check_log "$f" --where mode=sync --count 0
	check_log "$f" --where "reason=background full" --count 0
done
check_log "$log" --event graceful_skipped --count 0
check_log "$log" --event graceful_timeout --where mode=async --count 300
check_log "$log" --event graceful_timeout --count 300
note "300 graceful_timeout records, all \"mode\":\"async\"; none in the program's call"
