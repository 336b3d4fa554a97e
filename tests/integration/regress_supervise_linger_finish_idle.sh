# Regression: the supervisor spun at its exit while lingerings were left.
# It waits for them (sv_linger_finish) in the main loop's epoll set, which
# holds more than the lingerings: the loop's timerfd, armed since aa321e8
# for the first lingering's deadline, the kick eventfd, the signalfd.  One
# of them readable, never read there, made every wait return at once: a
# busy loop till the last lingering's end, SOCKSHIM_LINGER_MS at most
# (found by a review of aa321e8).  The lingerings now wait in a set of
# their own.
#
# tests/progs/static/staggered_closes closes two connections a second
# apart (their peer holds them open and silent) and exits: the second
# lingers on a second more, past the timerfd's expiry.  Then one
# connection, and a SIGWINCH sent to the supervisor while it lingers at
# its exit (the signalfd readable: the same spin before aa321e8).  The
# supervisor's epoll_wait calls, under strace -c: a few, not thousands.
# Before: "19185 waits" (timerfd), "26561 waits" (signal).
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
command -v strace >/dev/null || skip "strace is not installed"
SV="$B/sockshim-supervise"
P="$PROGS/static/staggered_closes"
[ -x "$SV" ] && [ -x "$P" ] || fail "build/sockshim-supervise or $P is missing"
port=$(free_port)
hold_peer "$port"

waits() { awk '$NF == "epoll_wait" { print $4 }' "$1"; }

SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=2000 SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/timer.log" \
	strace -c -e trace=epoll_wait -o "$WORK/timer.st" "$SV" -- "$P" "$port" 2 1000 ||
	fail "timer: exit $?"
n=$(waits "$WORK/timer.st")
note "two lingerings a second apart, the program gone after the second close: $n waits"
[ "$(count_events "$WORK/timer.log" graceful_close)" = 2 ] ||
	fail "timer: not 2 graceful_close records: $(cat "$WORK/timer.log")"
[ -n "$n" ] && [ "$n" -lt 200 ] || fail "timer: the supervisor waited ${n:-?} times in its last second"

SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=1500 SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/signal.log" \
	strace -c -e trace=epoll_wait -o "$WORK/signal.st" "$SV" -- "$P" "$port" 1 0 &
st=$!
BG_PIDS="$BG_PIDS $st"
sleep 0.5
sv=$(pgrep -P "$st")
[ -n "$sv" ] || fail "signal: no supervisor under strace"
kill -WINCH "$sv"
wait "$st" || fail "signal: exit $?"
n=$(waits "$WORK/signal.st")
note "a SIGWINCH while the supervisor lingers at its exit: $n waits"
[ "$(count_events "$WORK/signal.log" graceful_close)" = 1 ] ||
	fail "signal: not 1 graceful_close record: $(cat "$WORK/signal.log")"
[ -n "$n" ] && [ "$n" -lt 200 ] || fail "signal: the supervisor waited ${n:-?} times in its last second"
