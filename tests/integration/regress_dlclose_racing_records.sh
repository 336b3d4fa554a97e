# Review of issue 14 (finding 3): a thread dlcloses a plugin while another
# writes double_close records whose first_backtrace names the plugin's
# frames.  The record read the plugin's symbol names from its string table,
# unmapped under it: SIGSEGV within a few rounds (with dladdr before the
# symbol cache, within a few hundred).  Names are now the shim's own copies,
# made while the loader's list was locked.  3000 rounds must all pass.
#
# Before (30c5a21): "SIGSEGV at iteration 5" (4, 12, 54, 63 in other runs).
. "$(dirname "$0")/../lib.sh"

plug=$PROGS/dlclose_race_plug.so
out=$(timeout 60 "$PROGS/dlclose_race" "$plug" 300) || fail "bare: exit $?: $out"
for run in 1 2 3; do
	out=$(SOCKSHIM_LOG=/dev/null timeout 120 env $SAN_VARS LD_PRELOAD="$PRELOAD" \
		"$PROGS/dlclose_race" "$plug" 3000 2>&1) || fail "run $run: exit $?: $out"
	[ "$out" = "survived 3000 iterations" ] || fail "run $run: $out"
done
note "3 runs of 3000 rounds of dlclose racing records of the plugin's frames: no crash"
