# The log file is opened without following a symlink: a planted symlink is
# refused with one config_error on stderr, and the file it points to stays
# untouched; an unwritable path is refused the same way.  The program runs
# as without the shim.
. "$(dirname "$0")/../lib.sh"

echo "precious" >"$WORK/target"
ln -s "$WORK/target" "$WORK/log"
SOCKSHIM_LOG="$WORK/log" shim "$PROGS/events" double_close >"$WORK/out" 2>"$WORK/err" || fail "exit $?"
assert_grep "$WORK/out" '^ok$'
[ "$(cat "$WORK/target")" = precious ] || fail "the symlink's target was written"
check_log "$WORK/err" --event config_error --where variable=SOCKSHIM_LOG --count 1
assert_grep "$WORK/err" 'symbolic link'
# the events still go somewhere: the default, stderr
check_log "$WORK/err" --event double_close --count 1

SOCKSHIM_LOG="$WORK/no/such/dir/log" shim "$PROGS/events" double_close >"$WORK/out" 2>"$WORK/err2" || fail "exit $?"
check_log "$WORK/err2" --event config_error --where variable=SOCKSHIM_LOG --where "reason=No such file or directory" --count 1
note "symlink and missing directory refused, one config_error each"
