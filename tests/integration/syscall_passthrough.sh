# syscall() is interposed (libuv, Rust's std and libstdc++ use it): a
# program using it for numbers the shim has nothing to do with (gettid,
# futex with six arguments, getrandom, unknown numbers) and for the
# interposed calls, error cases included, gets the same results and errno
# under the shim as bare, with every feature; syscall(SYS_close) and a
# futex wait stay no cancellation points; the interposed numbers are seen
# (double_close through syscall(SYS_close), with where the first close was).
. "$(dirname "$0")/../lib.sh"

"$PROGS/syscall_bare" >"$WORK/bare.txt" 2>"$WORK/bare.err" || fail "syscall_bare failed bare"
[ "$(wc -l <"$WORK/bare.txt")" -gt 40 ] || fail "syscall_bare printed too little"
assert_grep "$WORK/bare.txt" "^close\(socket\), cancel pending +-> 0 "
i=0
for vars in "" "SOCKSHIM_EVENTS=all" "SOCKSHIM_GRACEFUL=1 SOCKSHIM_REUSEADDR=1" \
	"SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MODE=sync SOCKSHIM_LINGER_MS=100"; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	env $vars SOCKSHIM_LOG="$WORK/$i.log" LD_PRELOAD="$PRELOAD" "$PROGS/syscall_bare" >"$WORK/$i.txt" 2>&1 ||
		fail "under the shim ($vars): exit $?"
	diff -u "$WORK/bare.txt" "$WORK/$i.txt" || fail "results differ under the shim ($vars)"
done
check_log "$WORK/1.log" --event double_close --where fd=200 --first-backtrace-has main --count 1
check_log "$WORK/1.log" --event double_close --where fd=300 --count 1
check_log "$WORK/1.log" --event close_error --where fd=-1 --count 1
check_log "$WORK/2.log" --event close --where fd=200 --where family=inet --count 1
check_log "$WORK/2.log" --event socket --where family=unix --count 2
note "$(wc -l <"$WORK/bare.txt") calls through syscall(), same results and errno as bare; interposed numbers seen"
