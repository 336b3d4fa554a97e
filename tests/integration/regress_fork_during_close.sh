# A review finding in c2dcb5c (sockets held unseen learned by a walk of
# /proc/self/fd before a fork, no longer only at exit): the walk took a
# number that another thread was closing at that moment (its entry claimed,
# marked closed; the kernel's close not yet made, so the number still
# listed) for a socket held unseen, and overwrote the close's mark with a
# learned state.  The program's later second close of that number was then
# recorded as close_error instead of double_close (and the table kept a
# closed number as an open socket).  tests/progs/fork_during_close makes
# the moment exact with ptrace (the closing thread stopped at its close's
# system call entry while the main thread forks).  Before c2dcb5c and after
# the fix: double_close.
. "$(dirname "$0")/../lib.sh"

[ "$(uname -m)" = x86_64 ] || skip "fork_during_close reads x86_64 registers"
log="$WORK/log"
SOCKSHIM_LOG="$log" timeout 30 env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/fork_during_close" 2>"$WORK/err"
rc=$?
[ $rc = 3 ] && skip "$(cat "$WORK/err")"
[ $rc = 0 ] || fail "fork_during_close: exit $rc: $(cat "$WORK/err")"
fd=$(sed -n 's/^fd \([0-9]*\)$/\1/p' "$WORK/err")
[ -n "$fd" ] || fail "no fd: $(cat "$WORK/err")"
check_log "$log" --event close_error --where fd="$fd" --count 0
check_log "$log" --event double_close --where fd="$fd" --count 1
note "a close interrupted by another thread's fork: the second close of fd $fd recorded as double_close"
