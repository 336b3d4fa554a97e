# Regressions of the held close_rst (decided before the close, written
# after it), found by a review:
# - rate limit: a held record that the rate limiter admitted, whose close
#   then sent no reset (the peer's came first), kept its place in the
#   window: the next, real reset of the site was only counted.  At
#   SOCKSHIM_RATE=1/60, client 1 resets while the server's record is held,
#   client 2 never resets (the server's close resets it): its record must
#   be written.  Before: "0 close_rst records written, 1 counted".
# - fork in a signal handler inside the close: the child, going on in the
#   same close, wrote the record too.  Before: "2 close_rst records for 1
#   reset".
# The close is made wide with strace, which holds getpeername (looked up
# only for a record that will be written) for 200 ms, or HOLD_US.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "strace and a private network (the suite's plain build)"
command -v strace >/dev/null || skip "strace is not installed"
private_net
export NSTAT_HISTORY="$WORK/nstat.history"
slow() { # LOG PROG ARGS...: the program under the shim, getpeername held (HOLD_US)
	log=$1
	shift
	strace -f -qq -o /dev/null --seccomp-bpf -e trace=getpeername \
		-e inject=getpeername:delay_enter="${HOLD_US:-200000}" \
		env LD_PRELOAD="$PRELOAD" SOCKSHIM_LOG="$log" "$@"
}
started() { # OUT: waits for "listening"
	i=0
	until grep -qs listening "$1"; do
		i=$((i + 1))
		[ $i -lt 100 ] || fail "no server: $(cat "$1")"
		sleep 0.1
	done
}

# ---- the rate limit ----
port=$(free_port)
# (held 1 s: client 1 must close within the hold)
HOLD_US=1000000 SOCKSHIM_RATE=1/60 slow "$WORK/rate.log" "$PROGS/answer_unread" "$port" 2 >"$WORK/rate.out" 2>&1 &
pid=$!
BG_PIDS="$BG_PIDS $pid"
started "$WORK/rate.out"
python3 - "$port" "$pid" <<'PY' || fail "clients"
import os, platform, socket, sys, time
port, tracer = int(sys.argv[1]), int(sys.argv[2])
GETPEERNAME = {"x86_64": 52, "aarch64": 205}.get(platform.machine())

def under(tracer):  # the processes under the tracer (strace, env exec'd into the server)
    kids = {tracer}
    for _ in range(3):
        for p in os.listdir("/proc"):
            try:
                if p.isdigit() and int(open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[1]) in kids:
                    kids.add(int(p))
            except (OSError, IndexError, ValueError):
                pass
    return kids - {tracer}

def held(pids):  # is a thread of theirs in getpeername?
    for k in pids:
        try:
            for t in os.listdir(f"/proc/{k}/task"):
                if open(f"/proc/{k}/task/{t}/syscall").read().split()[0] == str(GETPEERNAME):
                    return True
        except OSError:
            pass
    return False

s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"PING\r\n"); s.recv(16)
# client 1 must close while the server's record is held: once the server
# is seen inside getpeername (held 1 s), not a fixed 20 ms after the
# answer, which a client late by 180 ms would outrun
if GETPEERNAME is None:
    time.sleep(0.02)  # no number known for this machine: as before
else:
    server, deadline = under(tracer), time.monotonic() + 10
    while not held(server):
        if time.monotonic() > deadline:
            sys.exit("client 1: the server was never seen in getpeername")
        time.sleep(0.002)
s.close()  # client 1: its reset comes while the server's record is held
time.sleep(0.5)
s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"PING\r\n")
time.sleep(0.5)
try:
    while s.recv(100000):
        pass
    sys.exit("client 2: no reset from the server")
except ConnectionResetError:
    pass
PY
wait "$pid" || fail "answer_unread: exit $?"
python3 - "$WORK/rate.log" <<'PY' || fail "the rate limit"
import json, sys
written = counted = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["event"] == "close_rst":
        written += 1
    elif r["event"] == "suppressed" and r.get("suppressed_event") == "close_rst":
        counted += r["count"]
print(f"  {written} close_rst records written, {counted} counted")
if (written, counted) != (1, 0):
    sys.exit(f"{written} close_rst records written, {counted} counted: client 2's reset is the one")
PY

# ---- a fork in a handler, inside the close ----
before=$(kernel_aborts)
port=$(free_port)
slow "$WORK/fork.log" "$PROGS/fork_in_close" "$port" >"$WORK/fork.out" 2>&1 &
pid=$!
BG_PIDS="$BG_PIDS $pid"
started "$WORK/fork.out"
python3 - "$port" <<'PY' || fail "client"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.sendall(b"PING\r\n")
time.sleep(1)
try:
    s.recv(100)
except ConnectionResetError:
    pass
PY
wait "$pid" || fail "fork_in_close: exit $?"
resets=$(($(kernel_aborts) - before))
records=$(count_events "$WORK/fork.log" close_rst)
note "fork in a handler: $records close_rst records for $resets resets"
[ "$records" = "$resets" ] && [ "$resets" = 1 ] || fail "$records close_rst records for $resets resets"
