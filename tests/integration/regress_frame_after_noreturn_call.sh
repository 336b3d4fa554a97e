# Regression: a frame whose call was the last instruction of its function
# (a call to a function that never returns: exit(), abort(), an error
# handler that closes and exits) was named after the next function in the
# file, or not at all: its return address is one past its function's end.
# The shim looked the symbol up at the return address; gdb, addr2line's
# users and sockshim-report look at the instruction before it.  These are
# the shim's own paths: a close at exit() has exit()'s frame (PostgreSQL's
# backends' closes at exit showed libc frames without names; found by a
# helper's sweep).  Now the symbol is that of the address before.
#
# tests/progs/noreturn_close.c: give_up() closes -1 and exits; fail_here()
# calls it last, and next_function() follows in the file.
#
# Before: "frame 2: next_function+0x0".
. "$(dirname "$0")/../lib.sh"
rc=0
SOCKSHIM_LOG="$WORK/log" shim "$PROGS/noreturn_close" || rc=$?
[ $rc = 5 ] || fail "exit $rc, not 5"
python3 - "$WORK/log" <<'PY' || fail "the frames are not named as they should be: $(cat "$WORK/log")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if '"close_error"' in l]
assert len(recs) == 1, f"{len(recs)} close_error records"
names = [f.get("symbol", "") for f in recs[0]["backtrace"]]
print("frames:", names[:3])
assert names[0].startswith("give_up+"), f"frame 1: {names[0]}"
assert names[1].startswith("fail_here+"), f"frame 2: {names[1]}"
assert names[2].startswith("main+"), f"frame 3: {names[2]}"
assert not any(n.startswith("next_function") for n in names), names
PY
note "give_up, fail_here, main"
