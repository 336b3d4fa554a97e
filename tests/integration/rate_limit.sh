# Rate limiting (SOCKSHIM_RATE): a server that resets and double-closes on
# every connection at full speed writes, per call site and event, at most N
# records per window, plus one `suppressed` record per site and window that
# counts the rest, so that written + suppressed equals the true number of
# bugs, exactly.  The default (10/60) applies when the variable is unset.
. "$(dirname "$0")/../lib.sh"

count() {
	python3 - "$@" <<'PY'
import json, sys, collections
log, bugs, per_window = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
written = collections.Counter()
suppressed = collections.Counter()
sites = collections.defaultdict(set)
for line in open(log):
    r = json.loads(line)
    if r["event"] == "suppressed":
        suppressed[r["suppressed_event"]] += r["count"]
        assert len(r["site"]) == 16, r
    else:
        written[r["event"]] += 1
        if r["event"] in ("close_rst", "double_close"):
            sites[r["event"]].add(r["site"])
for ev in ("close_rst", "double_close"):
    total = written[ev] + suppressed[ev]
    assert total == bugs, f"{ev}: {written[ev]} written + {suppressed[ev]} suppressed != {bugs} bugs"
    assert len(sites[ev]) == 1, f"{ev}: one call site expected, got {sites[ev]}"
    assert suppressed[ev] > 0, f"{ev}: nothing suppressed: this shows nothing"
    assert written[ev] <= per_window, f"{ev}: {written[ev]} written, at most {per_window} allowed"
print(f"{bugs} bugs of each kind: close_rst {written['close_rst']} written + "
      f"{suppressed['close_rst']} suppressed; double_close {written['double_close']} + "
      f"{suppressed['double_close']}; {sum(1 for _ in open(log))} lines in all")
PY
}

# Several windows of 1 s: at most 5 per window and site.
SOCKSHIM_RATE=5/1 SOCKSHIM_LOG="$WORK/log" shim "$PROGS/flood" 2.5 >"$WORK/out" || fail "exit $?"
bugs=$(sed -n 's/^bugs //p' "$WORK/out")
[ "${bugs:-0}" -gt 100 ] || fail "only ${bugs:-0} connections"
# 2.5 s are at most 3 windows (plus one started at the edge): 4 x 5
note "5/1: $(count "$WORK/log" "$bugs" 20)" || fail "counts"

# The default, 10/60: one window for the whole run.
unset SOCKSHIM_RATE
rm -f "$WORK/log"
SOCKSHIM_LOG="$WORK/log" shim "$PROGS/flood" 1 >"$WORK/out" || fail "exit $?"
bugs=$(sed -n 's/^bugs //p' "$WORK/out")
note "default 10/60: $(count "$WORK/log" "$bugs" 10)" || fail "counts"

# A bad value: one config_error, and the default.
rm -f "$WORK/log"
SOCKSHIM_RATE=ten/minute SOCKSHIM_LOG="$WORK/log" shim "$PROGS/flood" 0.3 >"$WORK/out" || fail "exit $?"
check_log "$WORK/log" --event config_error --where variable=SOCKSHIM_RATE --count 1
bugs=$(sed -n 's/^bugs //p' "$WORK/out")
note "bad value: $(count "$WORK/log" "$bugs" 10)" || fail "counts"
