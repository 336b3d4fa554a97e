#!/bin/sh
# Regression: the supervisor kept a descriptor open for every thread that
# ever made a trapped call (its /proc/PID/task/TID/syscall, for the
# backtraces), let go only when a process forked or exited: a program
# that makes a thread per connection filled the supervisor's descriptor
# limit, and from then on every copy of a socket failed and its close_rst
# was lost without a word (found by a helper's sweep).  Now at most 256
# are kept.
# Before: "1500 threads: 0 close_rst records for 5 resets" (1024
# descriptors).
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
private_net "$@"
SV="$B/sockshim-supervise"
P="$PROGS/static/thread_closes"
[ -x "$SV" ] && [ -x "$P" ] || fail "build/sockshim-supervise or $P is missing"
ulimit -n 1024 || skip "cannot set the descriptor limit to 1024"
for threads in 0 1500; do
	before=$(kernel_aborts)
	rm -f "$WORK/sv.log"
	out=$(SOCKSHIM_RATE=0 SOCKSHIM_LOG="$WORK/sv.log" "$SV" -- "$P" "$threads" 5 2>"$WORK/err") ||
		{ cat "$WORK/err"; fail "$threads threads: exit $?"; }
	[ "$out" = "threads $threads conns 5" ] || fail "$threads threads: '$out'"
	resets=$(($(kernel_aborts) - before))
	records=$(count_events "$WORK/sv.log" close_rst)
	[ "$resets" = 5 ] || fail "$threads threads: the kernel counted $resets resets, not 5"
	[ "$records" = "$resets" ] || fail "$threads threads: $records close_rst records for $resets resets"
	check_log "$WORK/sv.log" --event close_rst --where reason=unread_data --count 5
	note "$threads threads: $records close_rst records for $resets resets"
done
