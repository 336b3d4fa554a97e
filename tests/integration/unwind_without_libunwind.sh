# Issue 14 (the fork-per-connection server): on x86_64 the shim no longer
# loads libunwind.  Loaded, it and the liblzma it needs cost every fork and
# exit of the program ~57 us (fork+exit+wait in a loop, 11 interleaved
# rounds: 354 us with it, 297 without, 283 at SOCKSHIM_BACKTRACE=0).  The
# shim's own unwinder now follows what libunwind followed for it: a signal
# handler's frame (into the interrupted code, from an alternate stack too)
# and a function without unwind information (by the frame pointer chain).
#
# Each mode of unwind_paths makes one close_error whose backtrace must
# reach past that frame: to interrupted_worker, spinning_worker (where the
# timer interrupted it) or fp_caller.  Before (unit test
# test_signal_frame_followed): the own unwinder gave up at the signal frame
# (-1) and libunwind had to be there; without it the record had no frames.
. "$(dirname "$0")/../lib.sh"
[ "$(uname -m)" = x86_64 ] || skip "the shim's own unwinder is x86_64's"
no_sanitizer "a sanitizer's runtime has frames and stacks of its own"

# 1. At the default level nothing maps libunwind (backtraces are on).
maps=$(shim cat /proc/self/maps 2>/dev/null)
echo "$maps" | grep -q libsockshim || fail "the shim is not in the program"
! echo "$maps" | grep -q libunwind || fail "libunwind is mapped: $(echo "$maps" | grep libunwind | head -n 1)"

# The frame of function NAME of unwind_paths is in the record's backtrace,
# by module and offset (a frame on an alternate stack may have no symbol).
has_function() { # LOG NAME
	python3 - "$1" "$2" "$PROGS/unwind_paths" <<'EOF' || fail "no frame in $2 in: $(cat "$1")"
import json, subprocess, sys
log, name, prog = sys.argv[1:4]
nm = subprocess.run(["nm", "-S", prog], capture_output=True, text=True).stdout
lo = size = None
for line in nm.splitlines():
    f = line.split()
    if len(f) == 4 and f[3] == name:
        lo, size = int(f[0], 16), int(f[1], 16)
assert lo is not None, "no symbol " + name
recs = [json.loads(l) for l in open(log) if l.strip()]
recs = [r for r in recs if r.get("event") == "close_error"]
assert len(recs) == 1, "%d close_error records" % len(recs)
frames = recs[0].get("backtrace") or []
ok = any((fr.get("module") or "").endswith("/unwind_paths") and
         lo < int(fr["offset"], 16) <= lo + size for fr in frames)
sys.exit(0 if ok else 1)
EOF
}

for mode in handler altstack timer nocfi; do
	log=$WORK/$mode.log
	out=$(SOCKSHIM_LOG="$log" timeout 20 env LD_PRELOAD="$PRELOAD" "$PROGS/unwind_paths" $mode 2>&1) ||
		fail "$mode: exit $?: $out"
	[ "$out" = ok ] || fail "$mode: $out"
	case $mode in
	handler | altstack)
		has_function "$log" handler_closer
		has_function "$log" interrupted_worker
		has_function "$log" main ;;
	timer)
		has_function "$log" handler_closer
		has_function "$log" spinning_worker
		has_function "$log" main ;;
	nocfi)
		has_function "$log" fp_caller
		has_function "$log" main ;;
	esac
	note "$mode: $(python3 -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1]) if "close_error" in l][0]; print(len(r["backtrace"]), "frames")' "$log")"
done
# With symbols where the handler ran on the normal stack.
check_log "$WORK/handler.log" --event close_error --backtrace-has interrupted_worker --count 1
check_log "$WORK/timer.log" --event close_error --backtrace-has spinning_worker --count 1
check_log "$WORK/nocfi.log" --event close_error --backtrace-has fp_caller --count 1
