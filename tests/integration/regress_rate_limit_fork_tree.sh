# The rate limit holds for a forking server, whose every child makes the
# same record: the fork tree shares one table (ratelimit.h).  A helper's
# sweep of the log pipeline found each child's table started anew: at
# SOCKSHIM_RATE=5/60, tests/progs/fork_server wrote a close_rst record for
# every one of its connections (500 of 500), so that a forking server with
# a bug on every request flooded the host as if no limit were set.
# Here: 40 connections, each reset by its child (the kernel's count, in a
# private network namespace, is the oracle): at most 5 close_rst records
# of a call site (the parent's close of its copy, when its child was
# quicker, is a site of its own: a run in 6 wrote one there, and "6 close_rst
# records written" failed a check of 5 in all), and the suppressed records the server writes at its end make up the rest.
# Before the fix: "40 close_rst records written (SOCKSHIM_RATE=5/60)".
. "$(dirname "$0")/../lib.sh"
private_net
export NSTAT_HISTORY="$WORK/nstat.history"
N=40
port=$(free_port)
log="$WORK/fork.log"
nstat -n >/dev/null
env SOCKSHIM_RATE=5/60 SOCKSHIM_LOG="$log" LD_PRELOAD="$PRELOAD" \
	"$PROGS/fork_server" "$port" 100000 "$N" >"$WORK/server.out" 2>&1 &
pid=$!
BG_PIDS="$BG_PIDS $pid"
wait_listen "$port"
for i in $(seq "$N"); do
	"$PROGS/seed_client" "$port" 60000 >>"$WORK/clients.out" 2>&1
done
wait "$pid" || { cat "$WORK/server.out"; fail "fork_server: exit $?"; }
resets=$(kernel_aborts)
# (a child quicker than its client's request makes no reset: on a busy
# machine a run had 14 of 40; more than the limit's 5 test it)
[ "$resets" -gt 5 ] || skip "only $resets resets of $N connections: too few to test a limit of 5"
python3 - "$log" "$resets" <<'PY' || fail "rate limit across the fork tree"
import collections, json, sys
written = suppressed = 0
per_site = collections.Counter()
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["event"] == "close_rst":
        written += 1
        per_site[r["site"]] += 1
    elif r["event"] == "suppressed" and r.get("suppressed_event") == "close_rst":
        suppressed += r["count"]
resets = int(sys.argv[2])
print(f"  {written} close_rst records written, {suppressed} suppressed, the kernel counted {resets} resets")
# (per call site: the parent's close of its copy is another site, and the
# last reference when its child was quicker)
if max(per_site.values(), default=0) > 5:
    sys.exit(f"{dict(per_site)} close_rst records written per site (SOCKSHIM_RATE=5/60)")
if written + suppressed != resets:
    sys.exit(f"{written} written + {suppressed} suppressed != {resets} resets")
PY
