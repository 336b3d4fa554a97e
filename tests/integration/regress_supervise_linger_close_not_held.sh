# Regression: a program's close of a connection with SO_LINGER {1, N}
# whose peer took nothing more held the whole supervisor for N seconds:
# the program's close only dropped its number (the supervisor's copy kept
# the socket, to learn the close's outcome), and the copy's close, the
# socket's last, then waited for the send queue, while every trapped call
# of every supervised process waited for the supervisor.  The copy now
# ends in the background, as a lingering copy does (found by a review).
# Before: "close 6 ms, next 2021 ms" with SO_LINGER {1, 2}.
# (Not a timing test: the wait is the program's own SO_LINGER, seconds,
# and the bound is half of it.)
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SV="$B/sockshim-supervise"
P="$PROGS/static/linger_close_next"
[ -x "$SV" ] && [ -x "$P" ] || fail "build/sockshim-supervise or $P is missing"
for vars in "" SOCKSHIM_EVENTS=all; do
	out=$(env $vars SOCKSHIM_LOG="$WORK/l.log" "$SV" -- "$P" 4) || fail "exit $?"
	next=$(printf '%s\n' "$out" | sed -n 's/.*next \([0-9]*\) ms$/\1/p')
	note "${vars:-default}: $out"
	[ -n "$next" ] || fail "no figure: $out"
	[ "$next" -lt 2000 ] || fail "${vars:-default}: the call after the close waited $next ms for the supervisor (SO_LINGER 4 s)"
done
