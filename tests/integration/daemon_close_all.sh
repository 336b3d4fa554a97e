# Daemons that close every descriptor (by loop, close_range, closefrom, or
# dup2 over them) keep logging, and never get a log line in their own files;
# a program that closes fd 2 and gets the number back for a file does not
# find log lines in it.
. "$(dirname "$0")/../lib.sh"

for mode in loop close_range closefrom; do
	rm -f "$WORK/log" "$WORK/data"
	SOCKSHIM_LOG="$WORK/log" shim "$PROGS/daemon_like" "$mode" "$WORK/data" || fail "$mode: exit $?"
	[ "$(cat "$WORK/data")" = "$(printf 'data\nmore')" ] || fail "$mode: the program's file holds: $(cat "$WORK/data")"
	check_log "$WORK/log" --event double_close --backtrace-has second_closer --first-backtrace-has first_closer --count 1
	note "$mode: still logging, own file intact"
done

# dup2 over every number: logging goes on.  On x86_64 backtraces go on too
# (the shim's own unwinder keeps no descriptor); where libunwind does the
# unwinding, the dup2 takes the pinned number of its pipe: backtraces stop,
# and the log says so once.
rm -f "$WORK/log" "$WORK/data"
SOCKSHIM_LOG="$WORK/log" shim "$PROGS/daemon_like" dup2_all "$WORK/data" || fail "dup2_all: exit $?"
[ "$(cat "$WORK/data")" = "$(printf 'data\nmore')" ] || fail "dup2_all: the program's file holds: $(cat "$WORK/data")"
if [ "$(uname -m)" = x86_64 ]; then
	check_log "$WORK/log" --event backtrace_disabled --count 0
	check_log "$WORK/log" --event double_close --backtrace-has second_closer --first-backtrace-has first_closer --count 1
	note "dup2_all: still logging, with backtraces"
else
	check_log "$WORK/log" --event backtrace_disabled --count 1
	check_log "$WORK/log" --event double_close --count 1
	note "dup2_all: still logging; backtraces stopped, with one backtrace_disabled record"
fi

# Default destination (stderr): the shim writes to its copy of the
# original stderr, never into the file that took number 2.
rm -f "$WORK/data"
shim "$PROGS/daemon_like" reuse2 "$WORK/data" 2>"$WORK/stderr" || fail "reuse2: exit $?"
[ "$(cat "$WORK/data")" = "$(printf 'data\nmore')" ] || fail "log lines in the file that took fd 2: $(cat "$WORK/data")"
check_log "$WORK/stderr" --event double_close --count 1
note "reuse2: the record went to the original stderr, not to the new fd 2"
