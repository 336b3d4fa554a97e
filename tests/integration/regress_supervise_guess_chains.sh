# Regression (a review of 05f13ef): the check of a guessed frame pointer
# one frame further threw the true slot away where the caller's own return
# address could not be shown to follow a call of it, and took a wrong
# frame further up, one after an indirect call of anything: a signal
# handler (its return address the signal trampoline's, after no call), a
# caller called through call *(%rdi) (not decoded), one entered by a tail
# call (its caller's return address after a call of the function that
# jumped), one whose call of a noreturn function ends it (its return
# address the next function's first byte, taken for that function's).  Now
# a slot is put aside only where its caller's frame is contradicted: no
# code, or a direct call of another function that does not jump to it.
# tests/progs/guess_chains.c makes each stack.
# Before: ['__close+0x10', 'C+0x19', '__libc_start_call_main+0x7a', ...]
# in each of the four.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SV="$B/sockshim-supervise"
[ -x "$SV" ] || fail "build/sockshim-supervise is missing"
for mode in signal:C,H indirect:C,B,run0,main tail:C,B,A,main noreturn:C_exit,B_exit,A_exit,main; do
	m=${mode%%:*}
	SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/$m.log" "$SV" -- "$PROGS/guess_chains" "$m" >"$WORK/$m.out" 2>&1 ||
		{ cat "$WORK/$m.out"; fail "$m: exit $?, expected 0"; }
	assert_grep "$WORK/$m.out" '^closed$'
	python3 - "$WORK/$m.log" "${mode#*:}" <<'PY' || fail "$m: the close's backtrace"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if '"event":"close"' in l and '"type":"stream"' in l][0]
names = [f.get("symbol", "").split("+")[0] for f in r["backtrace"]]
want = sys.argv[2].split(",")
i = names.index(want[0])
assert names[i:i + len(want)] == want, (want, names)
PY
	note "$m: ${mode#*:} in order"
done
