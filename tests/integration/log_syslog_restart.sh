# SOCKSHIM_LOG=syslog over a syslog daemon's life: a program started before
# the daemon exists, then the daemon stopped and started again under it.
# The program never falls back to stderr: records made while a daemon
# listens arrive, framed as glibc's syslog(3) frames them
# ("<12>Mmm dd hh:mm:ss sockshim[PID]: {json}", the time local); those made
# while none does are counted, and the log_dropped record that follows
# says how many, so that what arrived plus what was counted is every
# record.  Runs in a private mount namespace with its own /dev/log (an
# overlay over /dev); a python receiver stands for the daemon.
. "$(dirname "$0")/../lib.sh"
private_mounts "$@"
private_dev

# receiver FILE: each datagram on /dev/log as one line of FILE; FILE.ready
# once it listens.  A stopped receiver leaves its socket file behind, as a
# killed daemon does.
receiver() {
	exec python3 -c '
import os, socket, sys
try:
    os.unlink("/dev/log")
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
os.chmod("/dev/log", 0o666)
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[1], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536) + b"\n")
' "$1"
}
wait_ready() {
	for _ in $(seq 100); do [ -e "$1.ready" ] && return 0; sleep 0.05; done
	fail "receiver $1 did not start"
}

COUNT=160 # one record every 50 ms: 8 s
# A zone of its own (India, +05:30, no summer time), written POSIX-style so
# that no time-zone database is needed: the header must be local time.
export TZ=IST-5:30
SOCKSHIM_LOG=syslog shim "$PROGS/log_ticker" $COUNT 50 >"$WORK/ticker.out" 2>"$WORK/ticker.err" &
ticker=$!
BG_PIDS="$BG_PIDS $ticker"
sleep 1
bg_start receiver "$WORK/a.log"
a=$BG_PID
wait_ready "$WORK/a.log"
sleep 2 # reconnections are a second apart at least: records arrive within it
bg_stop "$a" # the daemon stops: its socket file stays, nobody reads it
[ -S /dev/log ] || fail "the stopped receiver's socket is gone"
sleep 1.2
bg_start receiver "$WORK/b.log"
wait_ready "$WORK/b.log"
wait "$ticker" || { cat "$WORK/ticker.err"; fail "ticker exit $?"; }
# syslog(3) itself, for the framing to compare with
python3 -c '
import syslog
syslog.openlog("sockshim", syslog.LOG_PID, syslog.LOG_USER)
syslog.syslog(syslog.LOG_WARNING, "{\"glibc\":true}")
'
for _ in $(seq 50); do grep -q glibc "$WORK/b.log" && break; sleep 0.05; done
[ ! -s "$WORK/ticker.err" ] || { cat "$WORK/ticker.err"; fail "the ticker wrote to stderr"; }
assert_grep "$WORK/ticker.out" '^ok$'

python3 - "$WORK" "$COUNT" <<'PY' || fail "records checked above"
import json, re, sys, datetime
work, count = sys.argv[1], int(sys.argv[2])
# syslog(3)'s datagram: <PRI>, "%h %e %T", the tag, [pid], ": ", the message
frame = re.compile(r"^<(\d{1,3})>([A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d) ([^\[: ]+)\[(\d+)\]: (.*)$")
months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
ist = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
ticks = [l for l in open(f"{work}/ticker.out") if l.startswith("tick ")]
assert len(ticks) == count, len(ticks)
seen, dropped, per_file, glibc = [], 0, {}, None
for name in ("a", "b"):
    n_rst = n_drop = 0
    for line in open(f"{work}/{name}.log", encoding="utf-8"):
        m = frame.match(line.rstrip("\n"))
        assert m, f"{name}: not syslog(3)'s framing: {line!r}"
        pri, stamp, tag, p, msg = m.groups()
        rec = json.loads(msg)
        if rec.get("glibc"):
            glibc = m
            continue
        assert tag == "sockshim" and int(p) == rec["pid"] and rec["prog"] == "log_ticker", line
        # the header's time is the record's, in local time (+05:30)
        mon, day, hms = stamp.split()
        ts = datetime.datetime.strptime(rec["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        local = ts.astimezone(ist)
        assert (months[local.month - 1], int(day)) == (mon, local.day), (stamp, rec["ts"])
        h, mi, s = map(int, hms.split(":"))
        delta = (h * 3600 + mi * 60 + s) - (local.hour * 3600 + local.minute * 60 + local.second)
        assert delta in (0, 1), (stamp, rec["ts"])
        if rec["event"] == "close_rst":
            assert pri == "12", pri  # user.warning
            seen.append(rec["unread"])  # the ticker's sequence number
            n_rst += 1
        elif rec["event"] == "log_dropped":
            dropped += rec["dropped"]
            n_drop += 1
        else:
            raise AssertionError(f"unexpected record {line!r}")
    per_file[name] = (n_rst, n_drop)
print(f"  before the daemon, then across its restart: {per_file} (close_rst, log_dropped) "
      f"in the first and second daemon's logs; {len(seen)} arrived + {dropped} counted dropped = {count}")
assert glibc, "syslog(3)'s own datagram did not arrive"
assert glibc.group(3) == "sockshim" and glibc.group(1) == "12", glibc.group(0)
assert per_file["a"][0] > 0 and per_file["b"][0] > 0, "records must arrive at both daemons"
assert per_file["a"][1] >= 1, "the first daemon must hear how many were lost before it"
assert per_file["b"][1] >= 1, "the second daemon must hear how many were lost meanwhile"
assert len(set(seen)) == len(seen), "a record arrived twice"
assert set(seen) <= set(range(1, count + 1)), set(seen) - set(range(1, count + 1))
assert len(seen) + dropped == count, (len(seen), dropped, count)
PY
note "framing as syslog(3)'s, local time; no stderr fallback; reconnected after a late start and a restart"
