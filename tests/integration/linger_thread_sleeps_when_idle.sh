# The background thread of graceful close looks for new sockets every
# 2 ms while any lingers and for a second after the last (so that a close
# hands its socket over without waking it), then sleeps until a close
# wakes it: an idle daemon's thread must not tick for ever.  A Python
# program lingers one connection, waits 1.5 s, and counts the wake-ups
# (voluntary context switches) of its other threads over the next second.
# Pass: the shim's thread is there and woke at most twice.  A thread that
# kept its 2 ms ticks: ~500.
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null 2>&1 || skip "no python3"

cat >"$WORK/idle.py" <<'PY'
import glob, os, socket, time
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen()
c = socket.create_connection(l.getsockname()); s, _ = l.accept()
s.close(); time.sleep(0.05); c.close()
time.sleep(1.5)
def switches():
    out = {}
    for t in glob.glob("/proc/self/task/*"):
        if os.path.basename(t) != str(os.getpid()):
            for line in open(t + "/status"):
                if line.startswith("voluntary_ctxt_switches"):
                    out[t] = int(line.split()[1])
    return out
a = switches(); time.sleep(1); b = switches()
print(len(a), sum(b[t] - a[t] for t in a if t in b))
PY
out=$(env $SAN_VARS SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/shim.log" LD_PRELOAD="$PRELOAD" python3 "$WORK/idle.py") ||
	fail "exit $?"
threads=${out% *} wakeups=${out#* }
[ "$threads" -ge 1 ] || fail "no background thread: the close did not linger ($out)"
[ "$wakeups" -le 2 ] || fail "the idle background woke $wakeups times in a second"
note "the idle background thread woke $wakeups times in a second"
