# tsan: yes
# A review finding, fixed in 708bd2b: a thread cancelled at or in its
# close() of a socket that lingers (SOCKSHIM_GRACEFUL=1) must end as it
# would bare.
#   pending: the cancellation is pending when close() is called.  glibc acts
#            on it before the system call: bare, the worker is cancelled, the
#            number stays open and the connection untouched.  The shim must
#            do nothing either: no shutdown, so the peer sees no EOF.
#   during:  the worker is cancelled once the peer sees its close begin
#            (under the shim: the shutdown; in sync mode the close then
#            lingers, and the cancellation comes meanwhile).  Bare, the
#            number is closed; under the shim too, the linger once done.
# Both in async and in sync mode.
#
# Before the fix (b5c12e6), every case differs from bare:
#   "FAIL: pending, async: worker cancelled; fd open; the peer sees EOF
#    (bare: worker cancelled; fd open; the peer sees nothing)"
#   by hand, the others: "sync pending: ... fd open; the peer sees EOF",
#   "sync during: worker cancelled; fd open; the peer sees EOF" (the shim
#   shut the connection down, and glibc's close then acted on the
#   cancellation before closing), and in async mode "during" too in 5 of
#   8 runs.
. "$(dirname "$0")/../lib.sh"

out=$(timeout 20 "$PROGS/cancel_after_handoff" pending) || fail "pending bare: exit $?: $out"
bare_pending="worker cancelled; fd open; the peer sees nothing"
[ "$out" = "$bare_pending" ] || skip "pending, bare: $out (expected: $bare_pending)"
out=$(timeout 20 "$PROGS/cancel_after_handoff" during) || fail "during bare: exit $?: $out"
[ "$out" = "worker cancelled; fd closed; the peer sees reset" ] || skip "during, bare: $out"

for mode in async sync; do
	log="$WORK/pending.$mode.log"
	out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MODE=$mode SOCKSHIM_LOG="$log" timeout 20 env $SAN_VARS \
		LD_PRELOAD="$PRELOAD" "$PROGS/cancel_after_handoff" pending 2>&1) || fail "pending, $mode: exit $?: $out"
	[ "$out" = "$bare_pending" ] || fail "pending, $mode: $out (bare: $bare_pending)"
	touch "$log"
	# nothing in the worker's close; at exit, the connection it left
	# open is lingered on (close_path_at_exit), from main's exit
	# (from the main thread's exit: __libc_start_main in the backtrace,
	# which the worker thread's would not have)
	# (no backtraces under ThreadSanitizer: $SAN_VARS)
	n=$(count_events "$log" graceful_timeout)
	[ -n "$SAN_VARS" ] ||
		check_log "$log" --event graceful_timeout --backtrace-has __libc_start_main --count "$n"
	note "pending, $mode: the worker cancelled before the shim did anything, as bare"

	log="$WORK/during.$mode.log"
	out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MODE=$mode SOCKSHIM_LINGER_MS=1000 SOCKSHIM_EVENTS=all \
		SOCKSHIM_LOG="$log" timeout 20 env $SAN_VARS LD_PRELOAD="$PRELOAD" \
		"$PROGS/cancel_after_handoff" during 2>&1) ||
		fail "during, $mode: exit $?: $out"
	[ "$out" = "worker cancelled; fd closed; the peer sees EOF" ] ||
		fail "during, $mode: $out (bare: the number closed; under the shim, EOF before)"
	# the linger ran its course (the peer never closes, and sends
	# nothing: a graceful_close at its end, no timeout record since
	# regress_graceful_idle_peer), in the worker's call in sync mode.  In
	# async mode the process exits while the background lingers; the
	# peer's end, in the same process and left open, is then closed
	# gracefully at exit (close_path_at_exit), and its FIN ends the linger.
	if [ "$mode" = sync ]; then
		check_log "$log" --event graceful_close --where mode=$mode \
			--where "reason=the peer stayed open and silent" --count 1
	fi
	check_log "$log" --event graceful_timeout --count 0
	note "during, $mode: cancelled while its close lingered, the number closed as bare"
done
