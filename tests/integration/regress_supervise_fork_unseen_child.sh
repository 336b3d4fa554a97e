#!/bin/sh
# Regression (a review of 83696c1, which asks each task made since a
# trapped fork whose child it is):
# - a fork whose child died unseen (killed before any trapped call, and
#   reaped) counted as not made, and the forker's next trapped call, a
#   second fork, was let go as the same fork tried again, without its look
#   at the descriptors: a connection accepted in between was never counted
#   as the second child's, and the parent's close of its copy was taken for
#   the last: a false close_rst, and under graceful the child's connection
#   shut down under it (its client got EOF first, its write EPIPE);
# - with /proc/loadavg not to be read (systemd's ProcSubset=pid), every
#   fork counted as not made.
# Now a fork let go as tried again has the sockets its first look did not
# count added once a child is made, and no last pid is "made".
# Before: "unseen child, default: 2 close_rst records for 1 resets",
# "unseen child, graceful: the client got 'EOF first'", and the same with
# /proc/loadavg hidden.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
private_net "$@"
SV="$B/sockshim-supervise"
P="$PROGS/static/refork_unseen"
[ -x "$SV" ] && [ -x "$P" ] || fail "build/sockshim-supervise or $P is missing"

# round LABEL [WRAP...]: the program under the supervisor, default and
# graceful, run through WRAP
round() {
	label=$1
	shift
	before=$(kernel_aborts)
	out=$(SOCKSHIM_LOG="$WORK/default.log" "$@" "$SV" -- "$P" 2>"$WORK/err") ||
		{ cat "$WORK/err"; fail "$label, default: exit $?"; }
	resets=$(($(kernel_aborts) - before))
	records=$(count_events "$WORK/default.log" close_rst)
	[ "$out" = "client: hello" ] || fail "$label, default: the client got '$out'"
	[ "$resets" = 1 ] && [ "$records" = 1 ] ||
		fail "$label, default: $records close_rst records for $resets resets"
	rm -f "$WORK/default.log"
	before=$(kernel_aborts)
	out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/graceful.log" "$@" "$SV" -- "$P" 2>"$WORK/err") ||
		{ cat "$WORK/err"; fail "$label, graceful: exit $?"; }
	[ "$out" = "client: hello" ] || fail "$label, graceful: the client got '${out#client: }'"
	[ "$(($(kernel_aborts) - before))" = 0 ] || fail "$label, graceful: the kernel sent a reset"
	rm -f "$WORK/graceful.log"
	note "$label: 1 close_rst record for 1 reset; graceful: $out, no reset"
}

round "unseen child" env
unshare -m true 2>/dev/null || skip "cannot make a mount namespace here (unshare -m)"
round "loadavg hidden" unshare -m --propagation private sh -c \
	'mount --bind /dev/null /proc/loadavg && exec env "$@"' sh
