# Regression: a frame pointer guessed from a stale return address.  A
# function whose call frame information reads rbp (a VLA or alloca in
# optimized code, every function at -O0) needs it guessed by the
# supervisor, which knows only rsp and rip: the slot below the lowest
# return address above the stub's that could return from a call of that
# function.  An indirect call could call anything, and one left among the
# function's unwritten locals by an earlier call was taken: curl's first
# close, from glibc's open_socket (nscd), showed "_IO_file_underflow+0x17e"
# for its caller and ended there.  Now a candidate is passed over where its
# caller's own return address, found by its call frame information,
# contradicts it: no code, or after a direct call of another function
# (77b17c4: regress_supervise_guess_chains for what must not count as
# one).  tests/progs/stale_return.c makes that stack.
# Before: ['__close+0x10', 'closer+0x70', 'spray+0x1b', 'main+0x48', ...].
# And a call through the PLT (a call rel32 to the PLT entry) was taken for
# a call of no function but the entry: a -O0 library's function called
# from the program (tests/progs/plt_closer.c) had main() missing below it,
# the guess landing on main's own caller's slot.  Now the entry's GOT
# slot, as it is at the time, names the function.
# Before: ['__close+0x10', 'lib_closer+0x19', '__libc_start_call_main+0x7a', ...].
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

SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/plt.log" "$SV" -- "$PROGS/plt_closer" >"$WORK/plt.out" 2>&1 ||
	{ cat "$WORK/plt.out"; fail "plt_closer: exit $?, expected 0"; }
assert_grep "$WORK/plt.out" '^close: 0$'
python3 - "$WORK/plt.log" <<'PY' || fail "the library's close's backtrace"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if '"event":"close"' in l and '"type":"stream"' in l][0]
names = [f.get("symbol", "").split("+")[0] for f in r["backtrace"]]
print("  frames:", names)
i = names.index("lib_closer")
assert names[i + 1] == "main", names
PY
note "lib_closer() <- main() through the PLT"
