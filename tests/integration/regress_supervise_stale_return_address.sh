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
# The close of a stream socket by program $1 has frames $2 (comma-separated)
# in a row, and none of $3 (a name, or nothing).
frames_of_close() { # prog want absent
	SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/$1.log" "$SV" -- "$PROGS/$1" >"$WORK/$1.out" 2>&1 ||
		{ cat "$WORK/$1.out"; fail "$1: exit $?, expected 0"; }
	assert_grep "$WORK/$1.out" '^close: 0$'
	python3 - "$WORK/$1.log" "$2" "$3" <<'PY' || fail "$1: the close's backtrace"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if '"event":"close"' in l and '"type":"stream"' in l][0]
names = [f.get("symbol", "").split("+")[0] for f in r["backtrace"]]
print("  frames:", names)
want = sys.argv[2].split(",")
assert not sys.argv[3] or sys.argv[3] not in names, names
i = names.index(want[0])
assert names[i:i + len(want)] == want, (want, names)
PY
}

frames_of_close stale_return closer,main spray
note "closer() <- main(), no frame of spray()"
frames_of_close plt_closer lib_closer,main ""
note "lib_closer() <- main() through the PLT"
