# A signal handler on an alternate stack the program set with a raw
# sigaltstack system call, which the shim's wrapper never saw (it had
# asked the kernel before and found none), closes a socket with bytes
# unread whose number had another holder once (the shared socket's path,
# close_settling).  d2b86d0 put that path's question and record on the
# stack wherever the call was not known to be on a small one: 304 bytes
# more, and a 5 KiB stack overflowed.  The path now asks the kernel again
# where no alternate stack is known (found by a review of d2b86d0).
#
# Before: "SOCKSHIM_BACKTRACE=0: exit 139" (used 4888 bytes before d2b86d0).
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the sanitizers' frames do not fit a 5 KiB stack"
for bt in 0 1; do
	rc=0
	# (the default rate limit, as a user has it: its look-up is on the path)
	out=$(env -u SOCKSHIM_RATE SOCKSHIM_LOG="$WORK/bt$bt.log" SOCKSHIM_BACKTRACE=$bt LD_PRELOAD="$PRELOAD" \
		"$PROGS/raw_altstack_close" 5120 2>&1) || rc=$?
	[ $rc = 0 ] || fail "SOCKSHIM_BACKTRACE=$bt: exit $rc: $out"
	case "$out" in *"ret 0 errno 0"*) ;; *) fail "SOCKSHIM_BACKTRACE=$bt: the close: $out" ;; esac
	check_log "$WORK/bt$bt.log" --event close_rst --count 1
	note "SOCKSHIM_BACKTRACE=$bt: $out"
done
