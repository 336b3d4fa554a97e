# tsan: yes
# 8 threads make, dup, shut down and close sockets at once, with every
# feature on and events=all to one file: no record lost, doubled or
# interleaved, no deadlock, the counts exact.
. "$(dirname "$0")/../lib.sh"

SOCKSHIM_REUSEADDR=1 SOCKSHIM_REUSEPORT=1 SOCKSHIM_GRACEFUL=1 SOCKSHIM_EVENTS=all \
	SOCKSHIM_LOG="$WORK/log" timeout 120 env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/threads_close" 8 2000 busy \
	>"$WORK/out" || fail "exit $?"
assert_grep "$WORK/out" '^ok$'
# per iteration: socket (+ its two forced options), a dup, a failed
# shutdown (not connected), two closes
check_log "$WORK/log" --event socket --count 16000
check_log "$WORK/log" --event reuseaddr_forced --count 16000
check_log "$WORK/log" --event reuseport_forced --count 16000
check_log "$WORK/log" --event shutdown_error --where errno=ENOTCONN --count 16000
check_log "$WORK/log" --event close --count 32000
# and the one start record of events=all
check_log "$WORK/log" --event start --count 1
[ "$(wc -l <"$WORK/log")" = 96001 ] || fail "$(wc -l <"$WORK/log") lines, expected 96000 and the start record"
note "96000 records from 8 threads, exact"
