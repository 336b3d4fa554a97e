# Every interposed function, error cases included, returns the same values
# and errno under the shim (no variable set) as without it.
. "$(dirname "$0")/../lib.sh"

"$PROGS/passthrough" >"$WORK/bare.txt" 2>"$WORK/bare.err" || fail "passthrough failed bare"
shim "$PROGS/passthrough" >"$WORK/shim.txt" 2>"$WORK/shim.err" || fail "passthrough failed under the shim"
[ "$(wc -l <"$WORK/bare.txt")" -gt 80 ] || fail "passthrough printed too little"
diff -u "$WORK/bare.txt" "$WORK/shim.txt" || fail "results differ under the shim"
# ... also with every feature on: values and errno are the program's
SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/all.log" SOCKSHIM_BACKTRACE_DEPTH=64 \
	shim "$PROGS/passthrough" >"$WORK/all.txt" 2>"$WORK/all.err" || fail "passthrough failed with events=all"
diff -u "$WORK/bare.txt" "$WORK/all.txt" || fail "results differ with SOCKSHIM_EVENTS=all"
SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/g.log" shim "$PROGS/passthrough" >"$WORK/g.txt" 2>&1 || fail "graceful: exit $?"
SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MODE=sync SOCKSHIM_LINGER_MS=100 SOCKSHIM_LOG="$WORK/gs.log" \
	shim "$PROGS/passthrough" >"$WORK/gs.txt" 2>&1 || fail "graceful sync: exit $?"
# graceful close changes what the peer sees, not what the calls return
for f in g gs; do
	diff -u "$WORK/bare.txt" "$WORK/$f.txt" || fail "results differ with SOCKSHIM_GRACEFUL=1 ($f)"
done
note "$(wc -l <"$WORK/bare.txt") calls, same results and errno with and without the shim, all features"
