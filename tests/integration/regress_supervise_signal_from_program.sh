# Regression: a signal the supervised program sends its parent (the
# supervisor, in the place of the program's own parent), as a "ready"
# notice (kill(getppid(), SIGUSR1): Xorg for xinit, several daemons), was
# passed back to the program, which died of it.  Now a signal whose sender
# is a supervised process is not passed back (found by a helper's sweep).
# Before: "exit 138, expected 0" (SIGUSR1's default action).
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SV="$B/sockshim-supervise"
[ -x "$SV" ] || fail "build/sockshim-supervise is missing"
# (SIGUSR1 not ignored here: an ignored signal is never delivered, to the
# supervisor nor to the program, which inherit that)
trap - USR1
rc=0
SOCKSHIM_LOG="$WORK/sv.log" "$SV" -- "$PROGS/notify_parent" >"$WORK/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/out"; fail "exit $rc, expected 0"; }
assert_grep "$WORK/out" '^alive$'
note "the program's signal to its parent did not come back to it"
