# A review finding, fixed in 708bd2b: sendmsg() on one of the shim's own
# numbers (its log file or stderr copy, libunwind's pipe, the linger
# thread's wake pipe, the background's copy of a lingering socket) must
# fail with EBADF, as on a number never opened: the shim refused the other
# calls there (tests/integration/regress_private_fds.sh), not sendmsg.  The
# program runs with only 0, 1 and 2 open, the log in a file and on stderr.
#
# Before the fix (b5c12e6): "FAIL: file: 6 sendmsg calls on the shim's
# numbers did not fail with EBADF": "960 sendmsg -1 ENOTSOCK" ... "963 ...
# ENOTSOCK", "964 sendmsg -1 EPIPE" (the lingering socket's copy: the
# call reached it), "965 sendmsg -1 ENOTSOCK"; the same on stderr.
. "$(dirname "$0")/../lib.sh"

# Runs a command with no descriptor open but 0, 1 and 2.
only_std() {
	python3 -c 'import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:], close_fds=True))' "$@"
}

only_std "$PROGS/sendmsg_private_number" >"$WORK/bare" || fail "bare: exit $?"
[ "$(cat "$WORK/bare")" = "foreign 0" ] || fail "bare: $(cat "$WORK/bare")"

for dest in file stderr; do
	log="$WORK/$dest.log"
	case $dest in
	file) set -- SOCKSHIM_LOG="$log" ;;
	stderr) set -- ;;
	esac
	only_std env SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=5000 "$@" $SAN_VARS LD_PRELOAD="$PRELOAD" \
		"$PROGS/sendmsg_private_number" >"$WORK/out" 2>"$WORK/$dest.err" || fail "$dest: exit $?"
	[ $dest = stderr ] && log="$WORK/$dest.err"
	count=$(sed -n 's/^foreign //p' "$WORK/out")
	# Without a number of the shim's in the list, nothing was tested.
	[ "${count:-0}" -ge 1 ] || fail "$dest: the shim holds no descriptor here: $(cat "$WORK/out")"
	if grep -Ev '^([0-9]+ sendmsg -1 EBADF|foreign [0-9]+)$' "$WORK/out" >"$WORK/wrong"; then
		cat "$WORK/out"
		fail "$dest: $(wc -l <"$WORK/wrong") sendmsg calls on the shim's numbers did not fail with EBADF"
	fi
	[ "$(grep -c EBADF "$WORK/out")" = "$count" ] || fail "$dest: missing results: $(cat "$WORK/out")"
	# the setup's double close was logged: the log was among those numbers
	check_log "$log" --event double_close --count 1
	note "log to $dest: $count numbers of the shim's, sendmsg on each EBADF"
done
