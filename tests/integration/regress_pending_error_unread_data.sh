#!/bin/sh
# Regression: a connection the peer reset, closed by the program with an
# error it never read, got no close_pending_error when bytes of the peer's
# were still unread too (the kernel keeps them after the reset, and a peek
# returns them, not the error), nor when it had SO_LINGER {1, 0} (the
# shim's peek took the error, then found the socket reset and let it go).
# The library and the supervisor both.  The kernel's count of resets
# checks that the program's close sent none: only the peer's close did.
# Before: "pending_error_unread: 0 records match (--event
# close_pending_error ...)", and the same for pending_error_linger (the
# supervisor: pending_error_unread only).
. "$(dirname "$0")/../lib.sh"
private_net "$@"

# The kernel's resets by a close with unread data or with SO_LINGER {1, 0}
# (TcpExtTCPAbortOnData: nothing arrives after a close here).
resets() {
	nstat -a -s -z TcpExtTCPAbortOnClose TcpExtTCPAbortOnData |
		awk '/^TcpExtTCPAbortOn/ { n += $2 } END { print n + 0 }'
}

# case_of NAME COMMAND...: events' mode NAME under COMMAND, one reset by
# the peer (close_rst) and one pending error at the careless close
case_of() {
	name=$1
	shift
	rm -f "$WORK/$name.log"
	before=$(resets)
	env SOCKSHIM_LOG="$WORK/$name.log" "$@" "$PROGS/events" "$name" >"$WORK/$name.out" 2>&1 ||
		{ cat "$WORK/$name.out"; fail "$name: exit $?"; }
	aborts=$(($(resets) - before))
	[ "$aborts" = 1 ] || fail "$name: the kernel sent $aborts resets, not the peer's 1"
	check_log "$WORK/$name.log" --event close_rst --count 1
	check_log "$WORK/$name.log" --event close_pending_error --where errno=ECONNRESET --count 1
}

for name in pending_error pending_error_unread pending_error_linger; do
	case_of "$name" env $SAN_VARS LD_PRELOAD="$PRELOAD"
	check_log "$WORK/$name.log" --event close_pending_error --backtrace-has careless_closer --count 1
	note "library, $name: the peer's reset, then close_pending_error ECONNRESET"
done

# A reset after the peer's FIN (for a byte written after its close) sets
# EPIPE, which no read returns (EOF, after the unread bytes): not an
# error the program missed (a review's: "close_pending_error EPIPE" with
# bytes unread or SO_LINGER {1, 0}, none without).
# epipe COMMAND...: events' pending_epipe under COMMAND: no record
epipe() {
	: >"$WORK/epipe.log"
	env SOCKSHIM_LOG="$WORK/epipe.log" "$@" "$PROGS/events" pending_epipe >"$WORK/epipe.out" 2>&1 ||
		{ cat "$WORK/epipe.out"; fail "pending_epipe: exit $?"; }
	check_log "$WORK/epipe.log" --event close_pending_error --count 0
	check_log "$WORK/epipe.log" --event close_rst --count 0
}
epipe env $SAN_VARS LD_PRELOAD="$PRELOAD"
note "library, pending_epipe: no record"

[ "$FLAVOR" = plain ] || exit 0 # (the supervisor runs outside the sanitizer flavours)
[ -x "$B/sockshim-supervise" ] || fail "build/sockshim-supervise is missing"
for name in pending_error pending_error_unread pending_error_linger; do
	case_of "$name" "$B/sockshim-supervise" --
	note "supervisor, $name: the peer's reset, then close_pending_error ECONNRESET"
done
epipe "$B/sockshim-supervise" --
note "supervisor, pending_epipe: no record"
