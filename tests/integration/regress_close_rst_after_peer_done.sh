# Regression: a close with unread bytes on a socket the protocol was done
# with (our FIN, then the peer's: the socket is in TCP_CLOSE, gone to
# TIME_WAIT) was reported as close_rst, though the kernel sends nothing
# then.  Found by the Java oracle (runtime_java.sh: the JDK shuts down
# before it closes).  Checked against the kernel's count (nstat, private
# network namespace): none there; one in the control case, where the peer
# keeps its end open.
. "$(dirname "$0")/../lib.sh"
private_net
for mode in done open; do
	before=$(kernel_aborts)
	SOCKSHIM_LOG="$WORK/$mode.log" shim "$PROGS/close_after_peer_done" "$mode" || fail "$mode: exit $?"
	aborts=$(($(kernel_aborts) - before))
	rst=$(count_events "$WORK/$mode.log" close_rst)
	note "$mode: kernel resets $aborts, close_rst $rst"
	[ "$rst" = "$aborts" ] || fail "$mode: $rst close_rst records, the kernel sent $aborts resets"
done
[ "$aborts" = 1 ] || fail "the control case (open) made no reset"
check_log "$WORK/open.log" --event close_rst --backtrace-has close_unread --count 1
