# A review finding, fixed in 72724e0: a signal handler that siglongjmps out
# of a close() lingering in the program's call (SOCKSHIM_GRACEFUL=1,
# SOCKSHIM_LINGER_MODE=sync: the timeout pattern of old servers, alarm and
# a jump back) must not leave the shim's call scope behind.  Three rounds of
# a jump out of a lingering close, each followed by close(-1): all three
# close_error records must be in the log, with the program's backtrace,
# and cancellation must be enabled after each round, as bare.
#
# Before the fix (b5c12e6): "1 records match (--event close_error --where
# fd=-1 --count 3), expected 3": only round 0's record was written, those
# of rounds 1 and 2 were lost.  (The cancellation state was already
# "enabled" after each round there.)
. "$(dirname "$0")/../lib.sh"

expected=$(printf 'round %d: jumped, cancellation enabled\n' 0 1 2)
log="$WORK/log"
out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MODE=sync SOCKSHIM_LINGER_MS=5000 SOCKSHIM_LOG="$log" \
	timeout 20 env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/longjmp_out_of_close" 2>&1) || fail "exit $?: $out"
[ "$out" = "$expected" ] || fail "$(echo $out) (expected: $(echo $expected))"
check_log "$log" --event close_error --where fd=-1 --count 3
# each with the program's frames (no backtraces under TSan: $SAN_VARS)
[ -n "$SAN_VARS" ] || check_log "$log" --event close_error --backtrace-has bad_closer --count 3
# the jumps left the lingering closes: none timed out
check_log "$log" --event graceful_timeout --count 0
note "3 jumps out of a lingering close: 3 close_error records after them, cancellation enabled"
