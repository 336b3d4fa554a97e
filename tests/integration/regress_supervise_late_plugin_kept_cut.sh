# Regression: under the supervisor, a plugin dlopen'd within 100 ms of the
# last reading of the module list (the readings are spaced so, since a
# walk that ends in garbage would read /proc at every call) had every one
# of its backtraces cut at its frames: the cut walk was kept, and its
# replays never asked for the list again (found by a review).  Now a walk
# that stopped at an address the list was not read again for is not kept.
# Before: "0 of 20 backtraces of plugin b name late_closer_b".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SOCKSHIM_LOG="$WORK/log" "$B/sockshim-supervise" -- "$PROGS/late_plugins" "$PROGS" 10 ||
	fail "late_plugins: exit $?"
python3 - "$WORK/log" <<'PY' || fail "plugin b's backtraces"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if '"double_close"' in l]
def names(r):
    return [f.get("symbol", "") for f in r.get("backtrace", [])]
a = [r for r in recs if any(n.startswith("late_closer_a") for n in names(r))]
b = [r for r in recs if any("late_plug_b" in f.get("module", "") or f.get("symbol", "").startswith("late_closer_b")
                            for f in r.get("backtrace", []))]
print(f"  {len(recs)} double_close records; plugin a's named: {len(a)}; plugin b's named: {len(b)} of 20")
# (the first ones within 100 ms of plugin a's reading may be cut)
if len(b) < 15:
    sys.exit(f"{len(b)} of 20 backtraces of plugin b name late_closer_b")
PY
