#!/bin/sh
# Regression: a Go program built as containers build it (CGO_ENABLED=0,
# -ldflags="-s -w": no symbol table, no DWARF, and Go writes no .eh_frame)
# had its backtraces cut or made of stale frames under the supervisor:
# libdw, with no CFI, followed frame pointers from a guess, and a net/http
# server's resets got `Syscall6 < syscall.Syscall` and nothing of the
# program in 29 of 30 (Debian's caddy: stale frames, one path 2 sites).
# Go frames are now unwound as Go's runtime unwinds them, by .gopclntab's
# pcsp table.
# tests/go/unreadbody: a handler that leaves a POST's body unread, and
# net/http closes after its answer; every close_rst must hold
# net/http.(*conn).serve, named, and all of them one site.
# SOCKSHIM_TEST_SUPERVISE: another supervisor to run (an older build).
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor runs static programs, which no sanitizer runtime is in"
go_setup
(cd "$TOP/tests/go" && CGO_ENABLED=0 go build -ldflags="-s -w" -o "$G/unreadbody" ./unreadbody) ||
	fail "go build unreadbody"
readelf -S "$G/unreadbody" | grep -q "\.symtab" && fail "the server still has a symbol table"
N=30
port=$(free_port)
SOCKSHIM_LOG="$WORK/log" "${SOCKSHIM_TEST_SUPERVISE:-$B/sockshim-supervise}" -- \
	"$G/unreadbody" "$port" 2>"$WORK/err" &
pid=$!
BG_PIDS="$BG_PIDS $pid"
wait_listen "$port"
python3 - "$port" "$N" <<'PY' || fail "clients"
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
size = 300000  # past net/http's 256 KiB drain: it closes with data unread
for path in ["/"] * n:
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (path.encode(), size))
    s.setblocking(False)
    sent, chunk, t = 0, b"x" * 65536, time.time()
    while time.time() - t < 5:
        try:
            if sent < size:
                sent += s.send(chunk[: size - sent])
        except BlockingIOError:
            pass
        except (ConnectionResetError, BrokenPipeError):
            break
        try:
            if not s.recv(65536):
                break
        except BlockingIOError:
            time.sleep(0.001)
        except ConnectionResetError:
            break
    s.close()
PY
has_resets() { [ "$(count_events "$WORK/log" close_rst)" -ge "$N" ]; }
eventually has_resets # (the last close's record, a little after its client is done)
kill "$pid"
wait "$pid"
python3 - "$WORK/log" "$N" <<'PY' || fail "the backtraces"
import json, sys
n = int(sys.argv[2])
sites = {"/": set()}
count = {"/": 0}
bad = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("event") != "close_rst":
        continue
    syms = [f.get("symbol", "?").split("+")[0] for f in r["backtrace"]]
    path = "/"
    count[path] += 1
    sites[path].add(r.get("site"))
    need = ["syscall.Close", "net/http.(*conn).serve"]
    if any(s not in syms for s in need):
        bad += 1
        if bad <= 3:
            print("  cut: " + " < ".join(syms))
print(f"  close_rst: {count['/']} of {n}, {bad} without (*conn).serve; {len(sites['/'])} sites")
if bad or count["/"] != n:
    sys.exit(1)
if len(sites["/"]) != 1:
    sys.exit("one path with more than one site")
PY
note "stripped static net/http server, supervised: every reset's backtrace whole, one site a path"
