#!/bin/sh
# Regression: with SOCKSHIM_GRACEFUL=1 and SOCKSHIM_EVENTS=all, the
# graceful_close of a connection closed after the peer's own close had no
# "peer": the shim looked up the addresses after its FIN, and the peer's
# last ACK, which that FIN gets at once on loopback, had put the socket
# in TCP_CLOSE, where the kernel no longer tells the peer.  Now they are
# looked up before the FIN.
# Before: "async: 0 of 20 client closes have their peer" (the server's
# closes, made first, had theirs).
. "$(dirname "$0")/../lib.sh"
for mode in async sync; do
	rm -f "$WORK/$mode.log"
	env $SAN_VARS SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MODE=$mode SOCKSHIM_LINGER_MS=50 SOCKSHIM_EVENTS=all \
		SOCKSHIM_LOG="$WORK/$mode.log" LD_PRELOAD="$PRELOAD" python3 - <<'PY' || fail "$mode: exit $?"
import socket
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen()
for i in range(20):
    c = socket.create_connection(l.getsockname())
    s, _ = l.accept()
    s.sendall(b"answer")
    s.close()  # the server ends first
    assert c.recv(16) == b"answer" and c.recv(16) == b""
    c.close()  # the client's close, after the server's FIN
PY
	python3 - "$WORK/$mode.log" "$mode" <<'PY' || fail "$mode: a graceful_close without its peer"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
closes = [r for r in recs if r["event"] == "graceful_close"]
with_peer = [r for r in closes if r.get("peer", "").startswith("127.0.0.1:")]
# the client's sockets: their peer is the listener's port
client = [r for r in closes if r.get("peer", "") == "" or
          r["peer"].split(":")[1] == next(x for x in recs if x["event"] == "accept")["local"].split(":")[1]]
print("  %s: %d graceful_close records, %d with their peer, %d of 20 client closes have their peer"
      % (sys.argv[2], len(closes), len(with_peer), len([r for r in client if r.get("peer")])))
sys.exit(0 if len(closes) == 40 and len(with_peer) == 40 else 1)
PY
done
