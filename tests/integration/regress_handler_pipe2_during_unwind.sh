# A review finding, fixed in 708bd2b: the shim pins the pipe libunwind
# makes while it takes a backtrace at its own high numbers (900 and above,
# refused to the program), and took every pipe2() made while an unwinding
# was under way for libunwind's, a signal handler's too.  A handler on a
# 200 us timer makes and closes a pipe while main's close(-1) calls are
# logged with backtraces, until it has made 500: none of its pipes may land
# at 900 or above, every close() of them must succeed, and the log holds
# exactly main's close_error records (one per close(-1), none for the
# handler's closes).
#
# Before the fix (b5c12e6): "closes 4445, pipes 500, at 900 and above 364,
# close failed 728": most handler pipes were moved to the shim's numbers,
# whose close() the shim then refused (EBADF, each one a close_error
# record: 5173 records for 4445 calls).
. "$(dirname "$0")/../lib.sh"

out=$(timeout 20 "$PROGS/handler_pipe2_during_unwind") || fail "bare: exit $?: $out"
case $out in
"closes "*", pipes 500, at 900 and above 0, close failed 0") ;;
*) fail "bare: $out" ;;
esac

log="$WORK/log"
out=$(SOCKSHIM_LOG="$log" timeout 20 env $SAN_VARS LD_PRELOAD="$PRELOAD" \
	"$PROGS/handler_pipe2_during_unwind" 2>&1) || fail "exit $? (124: hung): $out"
note "$out"
closes=$(echo "$out" | sed -n 's/^closes \([0-9]*\), pipes 500, at 900 and above 0, close failed 0$/\1/p')
[ -n "$closes" ] || fail "$out (expected: no pipe at 900 and above, no close failed)"
check_log "$log" --event close_error --where fd=-1 --count "$closes"
check_log "$log" --count "$closes"
# the records were taken with backtraces (none under TSan: $SAN_VARS)
[ -n "$SAN_VARS" ] || check_log "$log" --event close_error --backtrace-has bad_closer --count "$closes"
note "500 pipes made in a handler during unwinding: none at the shim's numbers, every close succeeded"
