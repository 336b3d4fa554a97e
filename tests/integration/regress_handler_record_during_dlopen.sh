# Issue 14: a record made in a signal handler while another thread is
# inside dlopen must complete.  Frames were named with dladdr, which takes
# the dynamic loader's lock; dlopen holds it while it runs constructors.
# tests/progs/handler_record_during_dlopen: a constructor (slow_ctor.so)
# waits until a SIGUSR1 handler in the main thread has closed -1 (a
# close_error with a backtrace).  Now frames are named by symcache
# (dl_iterate_phdr, whose lock the loader never holds around constructors;
# inside a known handler, on the alternate stack, nothing is looked up).
# Both on the normal stack and on an alternate signal stack: the program
# ends, the handler's record is written with every frame's module, and the
# frame seen before (bad_close, cached) keeps its symbol.
#
# Before (046e98d): both runs hang in the handler (exit 124), main thread in
#   __lll_lock_wait <- _dl_addr <- dladdr1 <- add_frame <- backtrace_add
. "$(dirname "$0")/../lib.sh"

lib=$PROGS/slow_ctor.so
out=$(timeout 10 "$PROGS/handler_record_during_dlopen" "$lib" normal) || fail "bare: exit $?: $out"
[ "$out" = done ] || fail "bare: $out"

for mode in normal altstack; do
	log=$WORK/$mode.log
	out=$(SOCKSHIM_LOG="$log" timeout 10 env $SAN_VARS LD_PRELOAD="$PRELOAD" \
		"$PROGS/handler_record_during_dlopen" "$lib" "$mode" 2>&1)
	rc=$?
	[ $rc = 0 ] || fail "$mode: exit $rc (124: hung): $out"
	[ "$out" = done ] || fail "$mode: $out"
	python3 - "$log" "$mode" <<'PY' || fail "$mode: records not as expected: $(cat "$log")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
assert len(recs) == 2, len(recs)
for r in recs:
    assert r["event"] == "close_error", r
    bt = r["backtrace"]
    assert len(bt) >= 4, bt
    assert all("module" in f for f in bt), bt
    assert bt[0].get("symbol", "").startswith("bad_close+"), bt[0]
# the handler's record: its stack goes through the handler and raise()
names = [f.get("symbol", "") for f in recs[1]["backtrace"]]
assert len(recs[1]["backtrace"]) > len(recs[0]["backtrace"]), names
PY
done
note "the handler's record was written in both modes, frames named, bad_close's symbol kept"
