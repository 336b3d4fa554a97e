# Regression: a frame pointer guessed from a stale return address.  A
# function whose call frame information reads rbp (a VLA or alloca in
# optimized code, every function at -O0) needs it guessed by the
# supervisor, which knows only rsp and rip: the slot below the lowest
# return address above the stub's that could return from a call of that
# function.  An indirect call could call anything, and one left among the
# function's unwritten locals by an earlier call was taken: curl's first
# close, from glibc's open_socket (nscd), showed "_IO_file_underflow+0x17e"
# for its caller and ended there.  Now a candidate is taken first whose own
# caller's return address, found by its call frame information, returns
# from a call into it.  tests/progs/stale_return.c makes that stack.
# Before: ['__close+0x10', 'closer+0x70', 'spray+0x1b', 'main+0x48', ...].
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SV="$B/sockshim-supervise"
[ -x "$SV" ] || fail "build/sockshim-supervise is missing"
SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/all.log" "$SV" -- "$PROGS/stale_return" >"$WORK/out" 2>&1 ||
	{ cat "$WORK/out"; fail "exit $?, expected 0"; }
assert_grep "$WORK/out" '^close: 0$'
python3 - "$WORK/all.log" <<'PY' || fail "the close's backtrace"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if '"event":"close"' in l and '"type":"stream"' in l][0]
names = [f.get("symbol", "").split("+")[0] for f in r["backtrace"]]
print("  frames:", names)
assert "spray" not in names, names
i = names.index("closer")
assert names[i + 1] == "main", names
PY
note "closer() <- main(), no frame of spray()"
