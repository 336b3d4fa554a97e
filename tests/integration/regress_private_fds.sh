# Issue 10, defect 6: the shim's own descriptors (its log file, libunwind's
# pipe, the linger thread's wake pipe, ...) must not change what the
# program's calls return.  A number the program never opened gives EBADF
# from close, dup, fcntl, dup2 (as source), shutdown and setsockopt,
# whatever the shim keeps there; the log keeps working after; and a
# close-everything loop run twice logs no double_close for numbers the
# program never had.  The programs run with only 0, 1 and 2 open (what the
# test harness inherited would be real descriptors of the program's).
#
# Before the fix:
#   foreign:   "960 fcntl 1 -", "960 dup 4 -", "960 dup2 4 -",
#              "960 shutdown -1 ENOTSOCK", ..., "960 close 0 -", the same for 961..964
#              (and a lingering socket's number when the background is still at it):
#              "FAIL: foreign, events=errors: 30 calls on the shim's numbers did not fail with EBADF"
#   close_all: 62 double_close records
. "$(dirname "$0")/../lib.sh"

# Runs a command with no descriptor open but 0, 1 and 2.
only_std() {
	python3 -c 'import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:], close_fds=True))' "$@"
}

only_std "$PROGS/private_fds" foreign >"$WORK/bare" || fail "bare: exit $?"
[ "$(cat "$WORK/bare")" = "foreign 0" ] || fail "bare: $(cat "$WORK/bare")"

for level in errors all; do
	log="$WORK/foreign.$level.log"
	only_std env SOCKSHIM_GRACEFUL=1 SOCKSHIM_EVENTS=$level SOCKSHIM_LOG="$log" $SAN_VARS \
		LD_PRELOAD="$PRELOAD" "$PROGS/private_fds" foreign >"$WORK/out" || fail "foreign, events=$level: exit $?"
	count=$(sed -n 's/^foreign //p' "$WORK/out")
	# Without a number of the shim's in the list, nothing was tested.
	[ "${count:-0}" -ge 1 ] || fail "foreign, events=$level: the shim holds no descriptor here: $(cat "$WORK/out")"
	if grep -Ev '^([0-9]+ [a-z0-9]+ -1 EBADF|foreign [0-9]+)$' "$WORK/out" >"$WORK/wrong"; then
		cat "$WORK/out"
		fail "foreign, events=$level: $(wc -l <"$WORK/wrong") calls on the shim's numbers did not fail with EBADF"
	fi
	[ "$(grep -c EBADF "$WORK/out")" = $((count * 6)) ] || fail "foreign, events=$level: missing results: $(cat "$WORK/out")"
	# the setup's double close was logged (with a backtrace, where they are on)
	check_log "$log" --event double_close --at-least 1
	# The close(-1) after all those calls: its record landed.
	check_log "$log" --event close_error --where fd=-1 --count 1
	note "foreign, events=$level: $count numbers of the shim's, every call EBADF, the log still works"
done

log="$WORK/close_all.log"
only_std env SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$log" $SAN_VARS LD_PRELOAD="$PRELOAD" \
	"$PROGS/private_fds" close_all >"$WORK/out" || fail "close_all: exit $?"
assert_grep "$WORK/out" '^ok$'
check_log "$log" --event double_close --count 0
# before and after the loops: both records landed
check_log "$log" --event close_error --where fd=-1 --count 2
note "close_all: close(3..1023) twice, no double_close, the log still works"
