# Regression: a socket the program got through exec (inetd's service on
# its standard input and output, a shell's redirection, systemd's socket
# activation) was learned only at the program's first fork or at its exit.
# A service that closed it (or dup2'd over it) with the client's bytes
# unread before either reset the client unseen: no close_rst, no close
# record at events=all, no cure under SOCKSHIM_GRACEFUL=1 (found by a
# helper's sweep, with openbsd-inetd's exec'd services).  Now the sockets
# a process image starts with are learned at its start.
# Before: "default: 0 close_rst records for 1 resets".
. "$(dirname "$0")/../lib.sh"
private_net "$@"
# (the interpreter itself: a wrapper of pyenv's would run shells that hold
# the socket too)
PY=$(python3 -c 'import sys; print(sys.executable)')

# inherited NAME [VAR=VALUE...] -- PYTHON: a peer that sends 1000 bytes
# and then reads to the end ("eof N" or "reset N", N the bytes it got, in
# $WORK/NAME.peer); this shell connects to it on fd 3 (and fd 4, a copy,
# with TWICE=1) and execs $PY -c PYTHON under the shim, which ends fd 3
# without reading.  $resets: the kernel's count.
inherited() {
	local name=$1 vars=() copy=""
	shift
	[ "${TWICE:-}" = 1 ] && copy="4>&3"
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	port=$(free_port)
	python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
c, _ = s.accept()
c.sendall(b"x" * 1000)
c.settimeout(10)
got = 0
try:
    while True:
        b = c.recv(65536)
        if not b:
            break
        got += len(b)
    print("eof", got)
except ConnectionResetError:
    print("reset", got)' "$port" >"$WORK/$name.peer" &
	peer=$!
	wait_listen "$port"
	before=$(kernel_aborts)
	(exec 3<>"/dev/tcp/127.0.0.1/$port" && eval "exec $copy" &&
		exec env $SAN_VARS "${vars[@]}" SOCKSHIM_LOG="$WORK/$name.log" LD_PRELOAD="$PRELOAD" \
			"$PY" -c "import os, time; time.sleep(0.3); $1") || fail "$name: exit $?"
	wait "$peer"
	resets=$(($(kernel_aborts) - before))
}

inherited default -- 'os.close(3)'
records=$(count_events "$WORK/default.log" close_rst)
[ "$resets" = 1 ] && [ "$records" = 1 ] || fail "default: $records close_rst records for $resets resets"
check_log "$WORK/default.log" --event close_rst --where fd=3 --where reason=unread_data --count 1
note "default: $records close_rst record for $resets reset"


inherited all SOCKSHIM_EVENTS=all -- 'os.close(3)'
check_log "$WORK/all.log" --event close --where fd=3 --where family=inet --count 1
note "events=all: its close recorded"

inherited graceful SOCKSHIM_GRACEFUL=1 -- 'os.close(3); time.sleep(0.5)'
[ "$(cat "$WORK/graceful.peer")" = "eof 0" ] || fail "graceful: the peer saw '$(cat "$WORK/graceful.peer")'"
[ "$resets" = 0 ] || fail "graceful: the kernel sent $resets resets"
note "graceful: the peer got its end of stream, no reset"

# A copy of the same socket put over another (an inetd service's dup2(0,
# 1)) ends nothing: under graceful=always, once inherited sockets were
# learned at start, it was shut down and the service's answer lost
# (a review of 8b6c306: the write failed with EPIPE, the peer got nothing)
TWICE=1 inherited same SOCKSHIM_GRACEFUL=always -- \
	'os.dup2(3, 4); os.write(4, b"answer"); os.close(4); os.close(3)'
[ "$(cat "$WORK/same.peer")" = "eof 6" ] || fail "dup2 of the same socket: the peer saw '$(cat "$WORK/same.peer")'"
note "graceful=always, dup2 of a copy of the same socket: the answer arrived whole"
