# The shim stacks with another preloaded library that wraps the same call,
# in either order: results stay exact and both see every close.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "checks LD_PRELOAD values and paths"

other="$PROGS/count_close.so"
"$PROGS/passthrough" >"$WORK/bare.txt" 2>/dev/null || fail "passthrough failed"
LD_PRELOAD="$other" "$PROGS/passthrough" >"$WORK/other.txt" 2>"$WORK/other.err" || fail "failed under $other"
want=$(sed -n 's/^count_close: //p' "$WORK/other.err")
[ "${want:-0}" -gt 10 ] || fail "the other preload counted ${want:-nothing}"
for order in "$SHIM:$other" "$other:$SHIM"; do
	LD_PRELOAD="$order" "$PROGS/passthrough" >"$WORK/both.txt" 2>"$WORK/both.err" || fail "failed with $order"
	diff -u "$WORK/bare.txt" "$WORK/both.txt" || fail "results differ with LD_PRELOAD=$order"
	got=$(sed -n 's/^count_close: //p' "$WORK/both.err")
	[ "$got" = "$want" ] || fail "with $order the other preload saw $got closes, alone $want"
done
note "both orders: exact results, $want closes seen by the other library"
