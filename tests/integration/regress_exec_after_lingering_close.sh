# Regression: under SOCKSHIM_GRACEFUL=1 (async), a close lingering in the
# background when the program execs was cut by the exec (the shim's copy of
# the socket is close-on-exec, and the thread that drains it does not
# survive the exec): with the peer's request still unread and the peer
# still sending, a reset, where the close was to end without one.  Now the
# exec waits for the lingering closes, as exit does (at most
# SOCKSHIM_LINGER_MS).
# tests/progs/exec_after_closes linger serves one client whose request is
# longer than the server reads and which goes on sending for a second after
# the answer; the server closes and at once execs /bin/true.  The kernel's
# count of resets sent on a close (private network namespace) and the
# client's sends are the oracles.
# Before: the client, "send: [Errno 32] Broken pipe" (the connection reset
# under it; no line matching /^sent on: no error$/).
. "$(dirname "$0")/../lib.sh"
private_net
port=$(free_port)
env SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=5000 $SAN_VARS LD_PRELOAD="$PRELOAD" \
	"$PROGS/exec_after_closes" linger "$port" 100000 /bin/true >"$WORK/server.out" 2>&1 &
pid=$!
BG_PIDS="$BG_PIDS $pid"
wait_listen "$port"
python3 - "$port" >"$WORK/client.out" 2>&1 <<'PY' || { cat "$WORK/client.out"; fail "client"; }
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.0\r\n" + b"x" * 60000)  # more than the server reads
got = 0
s.settimeout(10)
while True:
    b = s.recv(65536)
    if not b:
        break
    got += len(b)
print(f"received {got} bytes")
# still sending after the answer's end, for a second: a slow upload
end = time.monotonic() + 1
try:
    while time.monotonic() < end:
        s.send(b"x" * 100)
        time.sleep(0.01)
    print("sent on: no error")
except OSError as e:
    print(f"send: {e}")
s.close()
PY
wait "$pid" || { rc=$?; cat "$WORK/server.out"; fail "server: exit $rc"; }
assert_grep "$WORK/client.out" '^received 100000 bytes$'
resets=$(kernel_aborts)
[ "$resets" = 0 ] || { cat "$WORK/client.out"; fail "$resets reset by the close, expected 0"; }
assert_grep "$WORK/client.out" '^sent on: no error$'
note "the lingering close ended before the exec: no reset"
