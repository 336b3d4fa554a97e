# Issue 10, defect 4, with a real event-loop server nobody here wrote:
# haproxy (nbthread 2, mode http) in front of a small python backend, under
# load: 300 proxied requests each on its own connection (Connection: close)
# and, at the same time, 400 keep-alive connections of 4 requests each.
# Every answer's body is known (its length and content follow from the
# path).  Run bare, then under SOCKSHIM_GRACEFUL=1 (async, default events).
# Pass: every proxied answer whole (status 200, body length and content),
# no keep-alive connection cut, no record of a close lingering in haproxy's
# own thread (mode sync), and haproxy's own poll_drop_fd counter (`show
# activity` on its stats socket: events epoll reported for a descriptor it
# no longer polls; summed over its threads) at most the bare run's + 1000.
# (Usually 0, as bare; about 1 run in 14 under heavy load shows some 750
# events, against 20000-33000 before the fix: a residue not yet explained,
# kept in view by this bound rather than failing CI at random.)
#
# Before the fix (main at 331749f), haproxy 2.6.12 (Debian 12): exit 1,
#   FAIL: shim: poll_drop_fd 22311 (bare 0); 5 of 300 answers not whole,
#         12 of 400 keep-alive connections cut
# (over six runs: poll_drop_fd 20515-33042, 3-7 answers with 0 body bytes
# ("IncompleteRead(0 bytes read, ...)"), 4-12 keep-alive connections cut;
# bare: 0, all whole, none cut).  In haproxy 2.6 `show activity` prints
# "poll_drop_fd: TOTAL [ THREAD1 THREAD2 ]".
# group: servers
. "$(dirname "$0")/../lib.sh"
no_sanitizer "haproxy is not built with the sanitizers; this loads it for seconds"
command -v haproxy >/dev/null || skip "haproxy is not installed"
command -v socat >/dev/null || skip "socat is not installed"

cat >"$WORK/backend.py" <<'PY'
# GET /<n>/<size>: <size> bytes of "<n>" repeated, HTTP/1.1 keep-alive.
import http.server, socketserver, sys

def body(n, size):
    unit = f"<{n}>".encode()
    return (unit * (size // len(unit) + 1))[:size]

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        _, n, size = self.path.split("/")
        b = body(n, int(size))
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def log_message(self, *a):
        pass

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass  # a connection haproxy dropped; the clients' view is what counts

Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
PY

cat >"$WORK/clients.py" <<'PY'
# clients.py PORT ONESHOT KEEPALIVE: ONESHOT requests each on a connection of
# its own (10 threads) while KEEPALIVE connections (20 threads) make 4
# requests each; every body checked.
import http.client, sys, threading
port, ONESHOT, KEEP, PER = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), 4

def body(n, size):
    unit = f"<{n}>".encode()
    return (unit * (size // len(unit) + 1))[:size]

lock = threading.Lock()
whole, kept, problems = 0, 0, []

def get(conn, n, close):
    size = 100 + (n * 7919) % 60000
    conn.request("GET", f"/{n}/{size}", headers={"Connection": "close"} if close else {})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200 or data != body(n, size):
        return f"status {r.status}, {len(data)} of {size} body bytes" + \
            ("" if len(data) != size else ", wrong content")
    return ""

def oneshot(w, nth):
    global whole
    for n in range(w, ONESHOT, nth):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            why = get(c, n, True)
            c.close()
        except Exception as e:
            why = f"{type(e).__name__}: {e}"
        with lock:
            if why:
                problems.append(f"request {n}: {why}")
            else:
                whole += 1

def keepalive(w, nth):
    global kept
    for k in range(w, KEEP, nth):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        why = ""
        for j in range(PER):
            try:
                why = get(c, 100000 + k * PER + j, False)
            except Exception as e:
                why = f"{type(e).__name__}: {e}"
            if why:
                why = f"keep-alive connection {k}, request {j}: {why}"
                break
        c.close()
        with lock:
            if why:
                problems.append(why)
            else:
                kept += 1

ts = [threading.Thread(target=oneshot, args=(w, 10)) for w in range(10)]
ts += [threading.Thread(target=keepalive, args=(w, 20)) for w in range(20)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(f"whole {whole} of {ONESHOT}")
print(f"kept {kept} of {KEEP}")
for p in problems[:10]:
    print(p)
PY

backend_port=$(free_port)
python3 "$WORK/backend.py" "$backend_port" >"$WORK/backend.out" 2>&1 &
BG_PIDS="$BG_PIDS $!"
wait_listen "$backend_port"

# run NAME [VAR=VALUE...]: haproxy with those variables under the load;
# the clients' report in $WORK/NAME.clients, poll_drop_fd in $drop
run() {
	name=$1
	shift
	port=$(free_port)
	sock="$WORK/haproxy.sock"
	rm -f "$sock"
	cat >"$WORK/$name.cfg" <<CFG
global
	nbthread 2
	stats socket $sock level admin
defaults
	mode http
	timeout connect 5s
	timeout client 10s
	timeout server 10s
frontend fe
	bind 127.0.0.1:$port
	default_backend be
backend be
	server s1 127.0.0.1:$backend_port
CFG
	env "$@" haproxy -db -f "$WORK/$name.cfg" >"$WORK/$name.haproxy" 2>&1 &
	hpid=$!
	BG_PIDS="$BG_PIDS $hpid"
	wait_listen "$port"
	timeout 60 python3 "$WORK/clients.py" "$port" 300 400 >"$WORK/$name.clients" 2>&1 ||
		{ cat "$WORK/$name.clients"; fail "$name: clients exit $?"; }
	echo "show activity" | timeout 10 socat - UNIX-CONNECT:"$sock" >"$WORK/$name.activity" ||
		fail "$name: no answer on haproxy's stats socket"
	bg_stop "$hpid"
	# "poll_drop_fd: 22792 [ 7923 14869 ]": the per-thread counters, summed
	line=$(grep '^poll_drop_fd:' "$WORK/$name.activity") ||
		{ cat "$WORK/$name.activity"; fail "$name: show activity has no poll_drop_fd"; }
	drop=$(echo "$line" | awk -F'[][]' 'NF > 1 { n = split($2, v, " "); s = 0; for (i = 1; i <= n; i++) s += v[i]; print s; next }
		{ sub(/^[^:]*:/, ""); n = split($0, v, " "); s = 0; for (i = 1; i <= n; i++) s += v[i]; print s }')
}

run bare
grep -qx "whole 300 of 300" "$WORK/bare.clients" && grep -qx "kept 400 of 400" "$WORK/bare.clients" ||
	{ cat "$WORK/bare.clients"; fail "bare: not every answer whole: the control is not clean"; }
bare_drop=$drop

run shim SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/shim.log" LD_PRELOAD="$PRELOAD"
shim_drop=$drop
whole=$(sed -n 's/^whole \([0-9]*\) of 300$/\1/p' "$WORK/shim.clients")
kept=$(sed -n 's/^kept \([0-9]*\) of 400$/\1/p' "$WORK/shim.clients")
if [ "$whole" != 300 ] || [ "$kept" != 400 ] || [ "$shim_drop" -gt $((bare_drop + 1000)) ]; then
	sed -n '3,$p' "$WORK/shim.clients"
	fail "shim: poll_drop_fd $shim_drop (bare $bare_drop); $((300 - ${whole:-0})) of 300 answers not whole, $((400 - ${kept:-0})) of 400 keep-alive connections cut"
fi
if [ -s "$WORK/shim.log" ]; then
	check_log "$WORK/shim.log"
	! grep -q '"mode":"sync"' "$WORK/shim.log" ||
		fail "a close lingered in haproxy's thread: $(grep -m1 '"mode":"sync"' "$WORK/shim.log")"
fi
note "haproxy $(haproxy -v | sed -n 's/^HAProxy version \([^ ]*\).*/\1/p'): 300 answers whole, 400 keep-alive connections kept; poll_drop_fd $shim_drop (bare $bare_drop)"
