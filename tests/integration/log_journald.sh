# journald natively (SOCKSHIM_LOG=journald, and by default when stderr is
# the journal's stream): a standalone systemd-journald in a private mount
# namespace (tmpfs over its directories) receives the records as native
# datagrams, and `journalctl SOCKSHIM_EVENT=close_rst -o json` finds them
# with their fields (PRIORITY, SYSLOG_IDENTIFIER, SOCKSHIM_*, CODE_FUNC,
# the JSON in MESSAGE and SOCKSHIM_RECORD).  A program started through
# systemd-cat logs there by default; $JOURNAL_STREAM is believed only when
# fd 2 is the socket it names.  journald restarted under a running program:
# what arrived plus what log_dropped counted is every record.
# group: servers
. "$(dirname "$0")/../lib.sh"
private_mounts "$@"
command -v systemd-cat >/dev/null || skip "no systemd-cat"
journald_mounts

start_journald() {
	bg_start "$JOURNALD"
	JOURNALD_PID=$BG_PID
	for _ in $(seq 100); do [ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/stdout ] && return 0; sleep 0.05; done
	skip "systemd-journald does not start here"
}
# journal QUERY...: the matching entries, one JSON object a line (journald
# writes what it receives at once; the reader waits for it a little)
journal() {
	journalctl --no-pager -q -o json "$@" 2>/dev/null
}
wait_journal() { # N QUERY...: until N entries match
	n=$1
	shift
	for _ in $(seq 100); do [ "$(journal "$@" | wc -l)" -ge "$n" ] && return 0; sleep 0.05; done
	journal "$@" | head -c 3000
	fail "fewer than $n entries for $*"
}
start_journald

# 1. SOCKSHIM_LOG=journald: the fields of close_rst and of double_close
SOCKSHIM_LOG=journald shim "$PROGS/events" unread_data >"$WORK/out" 2>"$WORK/err" || fail "exit $?"
SOCKSHIM_LOG=journald shim "$PROGS/events" double_close >>"$WORK/out" 2>>"$WORK/err" || fail "exit $?"
[ ! -s "$WORK/err" ] || { cat "$WORK/err"; fail "wrote to stderr"; }
wait_journal 1 SOCKSHIM_EVENT=close_rst
wait_journal 1 SOCKSHIM_EVENT=double_close
journal SOCKSHIM_EVENT=close_rst >"$WORK/rst.json"
journal SOCKSHIM_EVENT=double_close >"$WORK/dc.json"
python3 - "$WORK/rst.json" "$WORK/dc.json" <<'PY' || fail "fields checked above"
import json, sys
def entries(path):
    return [json.loads(l) for l in open(path)]
rst, = entries(sys.argv[1])
rec = json.loads(rst["MESSAGE"])
assert rst["SOCKSHIM_RECORD"] == rst["MESSAGE"], "the record twice, the same"
assert rec["event"] == "close_rst" and rec["reason"] == "unread_data", rec
want = {"PRIORITY": "4", "SYSLOG_IDENTIFIER": "sockshim", "SOCKSHIM_EVENT": "close_rst",
        "SOCKSHIM_REASON": "unread_data", "SOCKSHIM_PEER": rec["peer"], "SOCKSHIM_LOCAL": rec["local"],
        "CODE_FUNC": "rude_closer", "_TRANSPORT": "journal", "_PID": str(rec["pid"]), "_COMM": "events"}
for k, v in want.items():
    assert rst.get(k) == v, f"{k}={rst.get(k)!r}, expected {v!r}"
assert "SOCKSHIM_ERRNO" not in rst and "SYSLOG_RAW" not in rst
if "site" in rec:
    assert rst.get("SOCKSHIM_SITE") == str(rec["site"]), rst.get("SOCKSHIM_SITE")
dc, = entries(sys.argv[2])
for k, v in {"SOCKSHIM_ERRNO": "EBADF", "CODE_FUNC": "second_closer", "PRIORITY": "4"}.items():
    assert dc.get(k) == v, f"{k}={dc.get(k)!r}, expected {v!r}"
print("  close_rst: " + " ".join(f"{k}={rst[k]}" for k in sorted(rst) if not k.startswith("_") and k not in ("MESSAGE", "SOCKSHIM_RECORD")))
PY

# 2. By default under systemd-cat: stderr is a stream to journald (Debian
# 12's systemd-cat sets no JOURNAL_STREAM: the socket's peer tells)
systemd-cat -t legacy env LD_PRELOAD="$PRELOAD" "$PROGS/events" linger_zero || fail "systemd-cat exit $?"
wait_journal 1 SOCKSHIM_REASON=linger_zero
journal SOCKSHIM_REASON=linger_zero | python3 -c '
import json, sys
e, = [json.loads(l) for l in sys.stdin]
assert e["_TRANSPORT"] == "journal" and e["SYSLOG_IDENTIFIER"] == "sockshim", e
assert e["CODE_FUNC"] == "abortive_closer" and e["SOCKSHIM_EVENT"] == "close_rst", e
' || fail "the default destination under systemd-cat"
# the program's own output still goes to its stream, under its own tag
wait_journal 1 SYSLOG_IDENTIFIER=legacy
journal SYSLOG_IDENTIFIER=legacy | grep -q '"MESSAGE":"ok"' || fail "the program's own stdout is not in the journal"

# 3. $JOURNAL_STREAM: believed when fd 2 is the socket it names (any
# stream socket here), not when fd 2 is something else (inherited from a
# service by a child whose stderr was redirected)
python3 - "$PRELOAD" "$PROGS/events" "$WORK" <<'PY' || fail "JOURNAL_STREAM"
import os, socket, subprocess, sys
preload, events, work = sys.argv[1:]
a, b = socket.socketpair()
st = os.fstat(a.fileno())
env = {k: v for k, v in os.environ.items() if not k.startswith("SOCKSHIM_")}
env.update(LD_PRELOAD=preload, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
p = subprocess.run([events, "close_error"], env=env, stderr=a.fileno(), stdout=subprocess.DEVNULL)
assert p.returncode == 0
a.close()
b.setblocking(False)
try:
    leaked = b.recv(65536)
except BlockingIOError:
    leaked = b""
assert leaked == b"", f"wrote into the stream socket: {leaked!r}"
with open(f"{work}/redirected", "w") as err:
    p = subprocess.run([events, "close_error"], env=env, stderr=err, stdout=subprocess.DEVNULL)
assert p.returncode == 0
assert '"event":"close_error"' in open(f"{work}/redirected").read(), "a redirected stderr must get the records"
PY
wait_journal 1 SOCKSHIM_EVENT=close_error
[ "$(journal SOCKSHIM_EVENT=close_error | wc -l)" = 1 ] || fail "JOURNAL_STREAM of another file believed"

# 4. journald restarted under a running program
COUNT=100 # a record every 50 ms: 5 s
SOCKSHIM_LOG=journald shim "$PROGS/log_ticker" $COUNT 50 >"$WORK/ticker.out" 2>"$WORK/ticker.err" &
ticker=$!
BG_PIDS="$BG_PIDS $ticker"
sleep 1.5
bg_stop "$JOURNALD_PID"
sleep 1
start_journald
wait "$ticker" || fail "ticker exit $?"
[ ! -s "$WORK/ticker.err" ] || { cat "$WORK/ticker.err"; fail "the ticker wrote to stderr"; }
wait_journal 1 SOCKSHIM_PEER="$(sed -n 's/^tick [0-9]* peer //p' "$WORK/ticker.out" | tail -n 1)"
journal _COMM=log_ticker >"$WORK/ticker.json"
python3 - "$WORK/ticker.json" "$COUNT" <<'PY' || fail "records across journald's restart"
import json, sys
count = int(sys.argv[2])
recs = [json.loads(json.loads(l)["MESSAGE"]) for l in open(sys.argv[1])]
rst = [r for r in recs if r["event"] == "close_rst"]
dropped = sum(r["dropped"] for r in recs if r["event"] == "log_dropped")
print(f"  across a restart of journald: {len(rst)} arrived + {dropped} counted dropped = {count}")
assert dropped > 0 and len(rst) > 0
assert len(set(r["unread"] for r in rst)) == len(rst)  # the ticker's sequence number
assert len(rst) + dropped == count, (len(rst), dropped)
PY
note "native fields queryable; default under systemd-cat; JOURNAL_STREAM checked against fd 2; reconnected after a restart"
