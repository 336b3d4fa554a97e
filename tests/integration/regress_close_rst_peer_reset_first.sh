#!/bin/sh
# Regression: a close_rst was written before the close it reports on, and
# a client's own reset that arrived meanwhile made the kernel send none (a
# socket in TCP_CLOSE closes silently): records exceeded the kernel's
# count (protected-mode redis, answering and closing while its clients
# reset: 217 records for 32 resets; found by a helper's sweep).  Now the
# record is decided before the close and written after it, unless a look
# right before the close finds the socket reset already.
# The window is made wide here: the server runs under strace, which holds
# every write to the log for 50 ms; each client reads part of the answer
# and closes 20 ms later (its reset).  The server in a network namespace of its
# own, the clients in another: its nstat counts its resets alone.
# The same for the supervisor's records, made after the program's close.
# Before: "library: 9 close_rst records for 0 resets", and the
# supervisor's "supervisor: 7 close_rst records for 0 resets".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "strace and a private network (the suite's plain build)"
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
command -v strace >/dev/null || skip "strace is not installed"
command -v ip >/dev/null || skip "no ip (iproute2)"
ID=pr$$
NS_S=$ID-s NS_C=$ID-c
ip netns add "$NS_S" 2>/dev/null || skip "cannot make a network namespace here (ip netns add)"
netns_cleanup() {
	cleanup
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
}
trap netns_cleanup EXIT
ip netns add "$NS_C" || fail "ip netns add"
ip link add "${ID}s" type veth peer name "${ID}c" || fail "veth"
ip link set "${ID}s" netns "$NS_S" && ip link set "${ID}c" netns "$NS_C" || fail "veth netns"
ip -n "$NS_S" addr add 10.202.0.1/24 dev "${ID}s" && ip -n "$NS_C" addr add 10.202.0.2/24 dev "${ID}c"
ip -n "$NS_S" link set lo up && ip -n "$NS_S" link set "${ID}s" up && ip -n "$NS_C" link set "${ID}c" up ||
	fail "link up"
N=10
aborts() { ip netns exec "$NS_S" nstat -asz TcpExtTCPAbortOnClose | awk '/Abort/ { n += $2 } END { print n + 0 }'; }

# round NAME PORT COMMAND...: the server under COMMAND, logging to
# $WORK/NAME.log; N clients; its close_rst records must equal its resets
round() {
	name=$1 port=$2
	shift 2
	before=$(aborts)
	: >"$WORK/$name.log"
	ip netns exec "$NS_S" "$@" "$PROGS/answer_unread" "$port" "$N" >"$WORK/$name.out" 2>&1 &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	i=0
	until grep -qs listening "$WORK/$name.out"; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "$name: the server did not start: $(cat "$WORK/$name.out")"
		sleep 0.1
	done
	ip netns exec "$NS_C" python3 - "$N" "$port" <<'PY' || fail "$name: clients"
import socket, sys, time
for i in range(int(sys.argv[1])):
    s = socket.create_connection(("10.202.0.1", int(sys.argv[2])))
    s.sendall(b"PING\r\n")
    s.recv(16)
    # (within the 50 ms that a record written before the close would take)
    time.sleep(0.02)
    s.close()  # the rest of the answer unread: this client resets
PY
	wait "$pid" || fail "$name: server exit $?: $(cat "$WORK/$name.out")"
	resets=$(($(aborts) - before))
	records=$(count_events "$WORK/$name.log" close_rst)
	note "$name: $records close_rst records for $resets resets"
	[ "$records" = "$resets" ] || fail "$name: $records close_rst records for $resets resets"
}

# the library: strace holds each of the program's writes to the log
round library 7201 strace -f -qq -o /dev/null --seccomp-bpf -e trace=write \
	-e inject=write:delay_enter=50000 -P "$WORK/library.log" \
	env LD_PRELOAD="$PRELOAD" SOCKSHIM_RATE=0 SOCKSHIM_LOG="$WORK/library.log"
[ "$resets" -ge 1 ] || fail "no reset by the server: the case did not show"
check_log "$WORK/library.log" --event close_rst --backtrace-has rude_answer --where reason=unread_data \
	--count "$records"
# the supervisor, which looks at its copy of the socket after the
# program's close: strace holds the supervisor's writes to the log
if [ -x "$B/sockshim-supervise" ]; then
	round supervisor 7202 env SOCKSHIM_RATE=0 SOCKSHIM_LOG="$WORK/supervisor.log" \
		strace -qq -o /dev/null -e trace=write -e inject=write:delay_enter=50000 \
		-P "$WORK/supervisor.log" "$B/sockshim-supervise" --
fi
