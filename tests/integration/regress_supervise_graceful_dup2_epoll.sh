# Regression: under the supervisor with SOCKSHIM_GRACEFUL=1, a connection
# ended by dup2() of another file onto its number, or by close_range(),
# stayed in the program's epoll instances while the supervisor lingered on
# its copy: only a close() took it out first (on_close), so the program got
# events for a number that now named another file (/dev/null) or the next
# connection, nginx's case (regress_supervise_epoll_after_close).  dup2 and
# close_range now do as close does (found by a helper's sweep).
# Before: "dup2: 1 event(s) [fd 5 events 0x4]", the same for range.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SV="$B/sockshim-supervise"
P="$PROGS/static/epoll_end_by"
[ -x "$SV" ] && [ -x "$P" ] || fail "build/sockshim-supervise or $P is missing"
for how in dup2 range close; do
	bare=$("$P" "$how" 2>/dev/null) || fail "bare $how: exit $?"
	[ "$bare" = "$how: 0 event(s)" ] || fail "bare: $bare: the control does not hold"
	out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/$how.log" "$SV" -- "$P" "$how" \
		2>"$WORK/err") || fail "supervised $how: exit $?"
	[ "$out" = "$bare" ] || fail "graceful, $how: $out (bare: $bare)"
	# the connection was lingered on all the same
	fd=$(sed -n 's/^ended //p' "$WORK/err")
	grep -q "\"event\":\"graceful_close\",\"fd\":$fd," "$WORK/$how.log" ||
		fail "$how: no graceful_close of the connection (fd $fd)"
	note "$how: no event, as bare; the connection lingered on"
done
