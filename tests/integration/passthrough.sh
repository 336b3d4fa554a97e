# Every interposed function, error cases included, returns the same values
# and errno under the shim (no variable set) as without it.
. "$(dirname "$0")/../lib.sh"

"$PROGS/passthrough" >"$WORK/bare.txt" 2>"$WORK/bare.err" || fail "passthrough failed bare"
shim "$PROGS/passthrough" >"$WORK/shim.txt" 2>"$WORK/shim.err" || fail "passthrough failed under the shim"
[ "$(wc -l <"$WORK/bare.txt")" -gt 80 ] || fail "passthrough printed too little"
diff -u "$WORK/bare.txt" "$WORK/shim.txt" || fail "results differ under the shim"
note "$(wc -l <"$WORK/bare.txt") calls, same results with and without the shim"
