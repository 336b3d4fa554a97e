# Regression: the supervisor died of SIGSEGV while unwinding a close, and
# the program died with it (PR_SET_PDEATHSIG): a frame pointer guessed from
# a slot that held -8 asked libdw for the word at 0xfffffffffffffff8, whose
# bounds check (addr + 8 <= the copy's end) wrapped to 0 and passed
# (found by a helper's sweep, first with gdb as the supervised program).
# tests/progs/wrapping_bp.c makes that stack: a -O0 function with -8 in
# rbx calls an optimized one that pushes rbx and closes a socket.
# Before: "exit 139, expected 0" (nothing printed), at the default level.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SV="$B/sockshim-supervise"
[ -x "$SV" ] || fail "build/sockshim-supervise is missing"
for events in errors all; do
	SOCKSHIM_EVENTS=$events SOCKSHIM_LOG="$WORK/$events.log" "$SV" -- "$PROGS/wrapping_bp" \
		>"$WORK/$events.out" 2>&1 || { rc=$?; cat "$WORK/$events.out"; fail "events=$events: exit $rc, expected 0"; }
	assert_grep "$WORK/$events.out" '^close: 0$'
done
# at events=all, the close's record and its backtrace, through helper()
assert_grep "$WORK/all.log" '"event":"close".*"symbol":"helper'
note "the close's backtrace taken, the program and the supervisor alive"
