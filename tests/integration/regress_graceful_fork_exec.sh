#!/bin/sh
# Regression: under SOCKSHIM_GRACEFUL=1, a connection that a forked child
# took through exec (close-on-exec or inherited, as ncat --sh-exec's
# shell does) was never lingered on by the parent's last close: the fork
# tree's count kept the child's copy, which the exec had closed or taken
# where no count follows, so the count never came down to the last, and
# the shim trusted it without the look at /proc it makes where a count is
# not followed.  The client was reset (found by a helper's sweep).  Now
# an exec pins the counts of the sockets it takes along or closes.
# Before: "cloexec: 5 of 5 clients reset, the kernel sent 5 resets".
. "$(dirname "$0")/../lib.sh"
private_net "$@"
PORT=$(free_port)
for mode in cloexec inherited; do
	before=$(kernel_aborts)
	: >"$WORK/$mode.log"
	env $SAN_VARS SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/$mode.log" LD_PRELOAD="$PRELOAD" \
		python3 - "$PORT" "$mode" >"$WORK/$mode.srv" 2>&1 <<'PY' &
import os, socket, sys
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(8)
for i in range(5):
    c, _ = ls.accept()
    c.recv(10)
    os.set_inheritable(c.fileno(), sys.argv[2] == "inherited")
    pid = os.fork()
    if pid == 0:  # the child runs a program: it takes the connection along, or closes it
        os.execv("/bin/true", ["true"])
    os.waitpid(pid, 0)
    c.sendall(b"answer\n")
    c.close()  # the request's tail unread: a reset, bare
PY
	BG_PIDS="$BG_PIDS $!"
	wait_listen "$PORT"
	python3 - "$PORT" >"$WORK/$mode.clients" <<'PY' || fail "$mode: clients"
import socket, sys
reset = 0
for i in range(5):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    try:
        s.sendall(b"x" * 100000)
        got = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            got += b
        assert got == b"answer\n", got
    except ConnectionResetError:
        reset += 1
    s.close()
print(reset)
PY
	wait
	resets=$(($(kernel_aborts) - before))
	clients=$(cat "$WORK/$mode.clients")
	[ "$clients" = 0 ] && [ "$resets" = 0 ] ||
		fail "$mode: $clients of 5 clients reset, the kernel sent $resets resets"
	check_log "$WORK/$mode.log" --event close_rst --count 0
	note "$mode: 5 answers whole, then EOF; no reset"
done
