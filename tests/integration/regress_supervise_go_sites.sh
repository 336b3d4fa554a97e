# Regression: every close of a Go program under the supervisor had the same
# call site: the site is made of a record's first frames, and a Go close's
# are the runtime's and standard library's way down to the system call
# (syscall.Syscall6, internal/poll, net's Close), the same for every close.
# The rate limiter then held back one function's records for another's,
# and the report showed one call site for all (found by a helper's sweep,
# with a net/http server's handler and a hijacking one).  Now the site
# begins at the first frame past that plumbing.
# tests/go/twosites closes from closeA and closeB in turn.
# Before: "1 site for closeA and closeB".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor runs static programs, which no sanitizer runtime is in"
go_setup
(cd "$TOP/tests/go" && CGO_ENABLED=0 go build -o "$G/twosites" ./twosites) || fail "go build twosites"
port=$(free_port)
SOCKSHIM_RATE=10/60 SOCKSHIM_LOG="$WORK/log" "$B/sockshim-supervise" -- "$G/twosites" "$port" 6 2>"$WORK/err" &
pid=$!
BG_PIDS="$BG_PIDS $pid"
wait_listen "$port"
python3 - "$port" <<'PY' || fail "clients"
import socket, sys
for i in range(6):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"x" * 20000)
    try:
        while s.recv(65536):
            pass
    except ConnectionResetError:
        pass
    s.close()
PY
wait "$pid" || fail "twosites: exit $?"
python3 - "$WORK/log" <<'PY' || fail "the sites"
import json, sys
sites = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["event"] != "close_rst":
        continue
    fn = [f.get("symbol", "") for f in r["backtrace"] if f.get("symbol", "").startswith(("main.closeA", "main.closeB"))]
    if not fn:
        sys.exit(f"a close_rst without closeA or closeB: {[f.get('symbol') for f in r['backtrace']]}")
    sites.setdefault(fn[0].split("+")[0], set()).add(r["site"])
print(f"  sites: {sites}")
if set(sites) != {"main.closeA", "main.closeB"}:
    sys.exit(f"records of {sorted(sites)}")
if sites["main.closeA"] & sites["main.closeB"] or len(sites["main.closeA"] | sites["main.closeB"]) != 2:
    sys.exit(f"{len(sites['main.closeA'] | sites['main.closeB'])} site(s) for closeA and closeB")
PY
note "a Go program's two closing functions: two call sites"
