# A fleet over rsyslog, with the shipped snippets as they are: two "hosts"
# (network, mount and UTS namespaces: hostA and hostB), each with its own
# rsyslogd on its own /dev/log running examples/rsyslog/sockshim-forward.conf
# (collector.example.net resolves, through the host's /etc/hosts, to the
# collector's end of a veth pair), and a collector namespace whose rsyslogd
# runs examples/rsyslog/sockshim-collector.conf (its /var/log is the test's).
# Each host runs build/progs/flood under the shim with SOCKSHIM_LOG=syslog
# and SOCKSHIM_RATE=5/1: sockshim-report on the collector's file names both
# hosts, flood's three call sites, and per host totals equal to the bugs the
# program counted (written + suppressed).  The same totals come from the
# collector's files in rsyslog's legacy file templates, which write the
# RFC 5424 records without a colon after "sockshim[PID]" (a second port of
# the collector, forwarded to as the shipped snippet does: Debian's
# RSYSLOG_FileFormat, RSYSLOG_TraditionalFileFormat, RSYSLOG_ForwardFormat
# with a line end; a helper's sweep, F3: before de96c83 every such line was
# another program's, "hosts []", FAIL: the collector's file.log).  Then the
# collector is stopped and started again while hostA's log_ticker runs: the
# ticks made after it is back arrive (the forwarding action's queue retries).
# group: servers
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || skip "rsyslogd is not installed (apt-get install rsyslog)"
command -v ip >/dev/null || skip "no ip (iproute2)"
command -v nsenter >/dev/null || skip "no nsenter"

ID=sf$$ # namespace and link names, unique per run (links: 15 chars at most)
NS_C=$ID-c NS_A=$ID-a NS_B=$ID-b
ip netns add "$NS_C" 2>/dev/null || skip "cannot make a network namespace here (ip netns add)"
netns_cleanup() {
	cleanup
	for ns in "$NS_A" "$NS_B" "$NS_C"; do ip netns del "$ns" 2>/dev/null; done
}
trap netns_cleanup EXIT
ip netns add "$NS_A" && ip netns add "$NS_B" || fail "ip netns add"
ip -n "$NS_C" link set lo up
# hostA: 10.201.1.2 -> collector 10.201.1.1; hostB: 10.201.2.2 -> 10.201.2.1
n=1
for h in A B; do
	ns=$ID-$(echo $h | tr AB ab)
	ip link add "${ID}${h}h" type veth peer name "${ID}${h}c" || fail "veth"
	ip link set "${ID}${h}h" netns "$ns" && ip link set "${ID}${h}c" netns "$NS_C" || fail "veth netns"
	ip -n "$ns" addr add 10.201.$n.2/24 dev "${ID}${h}h"
	ip -n "$NS_C" addr add 10.201.$n.1/24 dev "${ID}${h}c"
	# a /dev/log queue as systemd makes it on every host (50-default.conf:
	# the kernel's default of 10 datagrams drops a window's first burst)
	ip netns exec "$ns" sysctl -qw net.unix.max_dgram_qlen=512 || fail "sysctl in $ns"
	ip -n "$ns" link set lo up && ip -n "$ns" link set "${ID}${h}h" up && ip -n "$NS_C" link set "${ID}${h}c" up || fail "link up"
	mkdir -p "$WORK/host$h/spool" "$WORK/host$h/dev-upper" "$WORK/host$h/dev-work"
	{ cat /etc/hosts; echo "10.201.$n.1 collector.example.net"; } >"$WORK/host$h/hosts"
	cat >"$WORK/host$h/rsyslog.conf" <<CONF
global(workDirectory="$WORK/host$h/spool")
module(load="imuxsock" SysSock.RateLimit.Interval="0")
# the records to the collector's second port too, as the shipped snippet
# sends them (RFC 5424, TCP), for its legacy file templates
if \$programname == "sockshim" then
	action(type="omfwd" target="collector.example.net" port="6515" protocol="tcp"
	       template="RSYSLOG_SyslogProtocol23Format" queue.type="LinkedList"
	       action.resumeRetryCount="-1" action.resumeInterval="1")
include(file="$TOP/examples/rsyslog/sockshim-forward.conf")
CONF
	n=$((n + 1))
done
mkdir -p "$WORK/central/spool" "$WORK/central/varlog"
cat >"$WORK/central/rsyslog.conf" <<CONF
global(workDirectory="$WORK/central/spool")
include(file="$TOP/examples/rsyslog/sockshim-collector.conf")
# rsyslog's own file templates, as a collector without the snippet's
# template writes: "HOST sockshim[PID] {json}", no colon (regress F3)
input(type="imtcp" port="6515" ruleset="legacy-files")
template(name="ForwardLine" type="string"
	 string="<%PRI%>%TIMESTAMP:::date-rfc3339% %HOSTNAME% %syslogtag:1:32%%msg:::sp-if-no-1st-sp%%msg%\n")
ruleset(name="legacy-files") {
	if \$programname == "sockshim" then {
		action(type="omfile" file="/var/log/legacy/file.log" template="RSYSLOG_FileFormat")
		action(type="omfile" file="/var/log/legacy/traditional.log" template="RSYSLOG_TraditionalFileFormat")
		action(type="omfile" file="/var/log/legacy/forward.log" template="ForwardLine")
	}
}
CONF
FLEET="$WORK/central/varlog/sockshim/fleet.log"
LEGACY="file traditional forward"

# Each daemon is the process that holds its namespaces: ip netns exec and
# unshare exec what follows, so the pid is rsyslogd's.
start_central() {
	bg_start ip netns exec "$NS_C" unshare -m --propagation private sh -c '
		mount --bind "$1/central/varlog" /var/log || exit 1
		exec "$2" -n -f "$1/central/rsyslog.conf" -i "$1/central/rsyslogd.pid"' \
		sh "$WORK" "$RSYSLOGD" 2>>"$WORK/central/stderr"
	CENTRAL=$BG_PID
	for _ in $(seq 200); do
		ip netns exec "$NS_C" ss -Htln "sport = :6514" | grep -q . &&
			ip netns exec "$NS_C" ss -Htln "sport = :6515" | grep -q . && return 0
		sleep 0.05
	done
	cat "$WORK/central/stderr"; fail "the collector does not listen"
}
start_host() { # A|B
	bg_start ip netns exec "$ID-$(echo "$1" | tr AB ab)" unshare -m -u --propagation private sh -c '
		hostname "host$3"
		mount -t overlay overlay -o "lowerdir=/dev,upperdir=$1/host$3/dev-upper,workdir=$1/host$3/dev-work" /dev || exit 1
		rm -f /dev/log
		mount --bind "$1/host$3/hosts" /etc/hosts || exit 1
		exec "$2" -n -f "$1/host$3/rsyslog.conf" -i "$1/host$3/rsyslogd.pid"' \
		sh "$WORK" "$RSYSLOGD" "$1" 2>>"$WORK/host$1/stderr"
	eval "HOST_$1=\$BG_PID"
	for _ in $(seq 200); do
		nsenter -t "$BG_PID" -m test -S /dev/log 2>/dev/null && return 0
		sleep 0.05
	done
	cat "$WORK/host$1/stderr"; fail "host$1's rsyslogd has no /dev/log"
}
# in_host A|B CMD...: CMD in that host's namespaces (its /dev/log, its name)
in_host() {
	eval "pid=\$HOST_$1"
	shift
	nsenter -t "$pid" -m -u -n "$@"
}
start_central
start_host A
start_host B

# --- both hosts flood at once ---
for h in A B; do
	in_host $h env SOCKSHIM_LOG=syslog SOCKSHIM_RATE=5/1 LD_PRELOAD="$PRELOAD" "$PROGS/flood" 1.2 \
		>"$WORK/host$h/flood.out" 2>"$WORK/host$h/flood.err" &
	eval "F_$h=\$!"
done
wait "$F_A" || { cat "$WORK/hostA/flood.err"; fail "hostA's flood: exit $?"; }
wait "$F_B" || { cat "$WORK/hostB/flood.err"; fail "hostB's flood: exit $?"; }
BUGS_A=$(sed -n 's/^bugs //p' "$WORK/hostA/flood.out")
BUGS_B=$(sed -n 's/^bugs //p' "$WORK/hostB/flood.out")
[ -s "$WORK/hostA/flood.err" ] || [ -s "$WORK/hostB/flood.err" ] && { cat "$WORK"/host?/flood.err; fail "flood wrote to stderr"; }

# check_fleet FILE [final]: the report's totals per host equal the bugs counted
check_fleet() {
	# (exit 1, no records, is for the checks below to tell)
	"$B/sockshim-report" --json --top 0 "$1" >"$WORK/report.json" 2>"$WORK/report.err" || [ $? = 1 ] || return 1
	python3 - "$WORK/report.json" "$BUGS_A" "$BUGS_B" "${2:-}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
bugs = {"hostA": int(sys.argv[2]), "hostB": int(sys.argv[3])}
final = sys.argv[4] == "final"
def check():
    hosts = r["by_host"]
    assert set(hosts) == {"hostA", "hostB"}, f"hosts {sorted(hosts)}"
    for h, n in bugs.items():
        ev = hosts[h]["by_event"]
        for e in ("close_rst", "double_close", "close_pending_error"):
            assert ev.get(e) == n, f"{h} {e}: {ev.get(e)} in the report, {n} bugs"
        assert hosts[h]["by_prog"] == {"flood": 3 * n}, hosts[h]["by_prog"]
    assert "log_dropped" not in r["by_event"], f"the shim dropped records: {r['by_event']}"
    assert r["malformed"] == 0 and r["other_lines"] == 0, (r["malformed"], r["other_lines"])
    sites = {}
    for s in r["call_sites"]["top"]:
        f = s["frames"][0]
        sites[(f["function"], f.get("file"), f.get("line"))] = s["events"]
    want = {("rude_close", "tests/progs/flood.c", 21): {"close_rst": sum(bugs.values())},
            ("second_close", "tests/progs/flood.c", 26): {"double_close": sum(bugs.values())}}
    for k, v in want.items():
        assert sites.get(k) == v, f"call site {k}: {sites.get(k)}; all: {sites}"
    pend = [k for k, v in sites.items() if "close_pending_error" in v]
    assert len(pend) == 1 and pend[0][0] == "main" and sites[pend[0]]["close_pending_error"] == sum(bugs.values()), sites
    return sites
try:
    sites = check()
except AssertionError as e:
    if final:
        print(e, file=sys.stderr)
    sys.exit(1)
print(f"{r['lines']} lines ({r['suppressed']['records']} suppressed records counting "
      f"{r['suppressed']['count']}) -> hostA {3 * bugs['hostA']} events ({bugs['hostA']} bugs of each kind), "
      f"hostB {3 * bugs['hostB']} ({bugs['hostB']}); sites "
      + ", ".join(f"{k[0]} {k[1]}:{k[2]}" for k in sites))
PY
}
for _ in $(seq 30); do check_fleet "$FLEET" >/dev/null 2>&1 && break; sleep 0.1; done
out=$(check_fleet "$FLEET" final) || { head -c 2000 "$FLEET"; fail "the collector's report: see above"; }
note "fleet: $out"
for f in $LEGACY; do
	log="$WORK/central/varlog/legacy/$f.log"
	for _ in $(seq 30); do check_fleet "$log" >/dev/null 2>&1 && break; sleep 0.1; done
	out=$(check_fleet "$log" final) || { head -c 600 "$log"; echo; fail "the collector's $f.log: see above"; }
	head -1 "$log" | grep -Eq ' sockshim\[[0-9]+\] \{' || { head -c 600 "$log"; echo; fail "$f.log: not the colonless tag this checks"; }
	note "$f.log (no colon after the tag): the same totals"
done

# --- the collector restarts while hostA's ticker runs ---
COUNT=80 # one record every 50 ms: 4 s
in_host A env SOCKSHIM_LOG=syslog LD_PRELOAD="$PRELOAD" "$PROGS/log_ticker" $COUNT 50 \
	>"$WORK/hostA/ticker.out" 2>"$WORK/hostA/ticker.err" &
TICKER=$!
BG_PIDS="$BG_PIDS $TICKER"
sleep 1
bg_stop "$CENTRAL"
sleep 1
start_central
BACK=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
wait "$TICKER" || { cat "$WORK/hostA/ticker.err"; fail "ticker: exit $?"; }
check_ticks() {
	python3 - "$FLEET" "$COUNT" "$BACK" "${1:-}" <<'PY'
import json, sys
fleet, count, back, final = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4] == "final"
seen, after = [], []
for line in open(fleet):
    i = line.find("{")
    r = json.loads(line[i:])
    if r.get("prog") != "log_ticker":
        continue
    assert line.split()[1] == "hostA" and r["host"] == "hostA", line
    seen.append(r["unread"])
    if r["ts"] >= back:
        after.append(r["unread"])
missing = sorted(set(range(1, count + 1)) - set(seen))
try:
    assert after, "no tick made after the collector was back arrived"
    lost_after = [n for n in missing if n > min(after)]
    assert not lost_after, f"ticks made after the restart are missing: {lost_after}"
    assert max(after) == count, f"the last tick ({count}) did not arrive"
    assert len(set(seen)) == len(seen), "a tick arrived twice"
except AssertionError as e:
    if final:
        print(e, file=sys.stderr)
    sys.exit(1)
print(f"{len(seen)} of {count} ticks arrived, {len(after)} made after the collector was back "
      f"(ticks {min(after)}..{max(after)}); missing: {missing or 'none'}")
PY
}
for _ in $(seq 100); do check_ticks >/dev/null 2>&1 && break; sleep 0.1; done
out=$(check_ticks final) || { tail -5 "$FLEET"; fail "ticks across the restart"; }
note "collector restarted: $out"
for d in central hostA hostB; do
	[ ! -s "$WORK/$d/stderr" ] || { note "$d's rsyslogd said:"; sed 's/^/    /' "$WORK/$d/stderr" | head -5; }
done
