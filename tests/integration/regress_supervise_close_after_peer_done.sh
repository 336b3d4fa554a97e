# Regression: under the supervisor, a close with unread bytes on a socket
# the protocol was done with (the program shut its side down, the peer read
# the EOF and closed too: the socket is in TCP_CLOSE, gone to TIME_WAIT)
# was reported as close_rst, though the kernel sends nothing then (the
# library has known it since regress_close_rst_after_peer_done).  busybox
# httpd and python3 -m http.server, which shut down before they close,
# got a close_rst for nearly every request with a body they left unread,
# and the kernel counted a few.  Checked against the kernel's count in a
# private network namespace; the control case (the peer keeps its end
# open) resets, and is reported.
#
# Before: "done: kernel resets 0, close_rst 1".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SV="$B/sockshim-supervise"
[ -x "$SV" ] || fail "build/sockshim-supervise is missing"
private_net
for mode in done open; do
	before=$(kernel_aborts)
	SOCKSHIM_LOG="$WORK/$mode.log" "$SV" -- "$PROGS/close_after_peer_done" "$mode" ||
		fail "$mode: exit $?"
	sleep 0.1
	aborts=$(($(kernel_aborts) - before))
	rst=$(count_events "$WORK/$mode.log" close_rst)
	note "$mode: kernel resets $aborts, close_rst $rst"
	[ "$rst" = "$aborts" ] || fail "$mode: $rst close_rst records, the kernel sent $aborts resets"
done
[ "$aborts" = 1 ] || fail "the control case (open) made no reset"
