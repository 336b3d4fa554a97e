# sockshim-report on collector files: the same records, as the shim writes
# them (JSON lines), as a syslog collector keeps them (traditional, RFC 3339
# as Debian's rsyslog writes files, RFC 5424 with and without <PRI>), as
# `journalctl -o json` prints them (the full record in SOCKSHIM_RECORD, or
# only MESSAGE for records that came through syslog), each also gzipped:
# the report gives identical totals for each.  Two hosts that share a node
# name (network namespaces) are told apart by the collector's host name;
# "suppressed" records of the rate limit add their counts into the totals;
# lines of other programs are skipped; filters by host, event, program and
# time.
# group: servers
. "$(dirname "$0")/../lib.sh"

REPORT="$B/sockshim-report"
[ -x "$REPORT" ] || fail "no $REPORT (make build/sockshim-report)"
unset DEBUGINFOD_URLS

# Real records, with real backtraces: close_rst, double_close twice,
# close_error.
for mode in unread_data double_close double_close close_error; do
	env LD_PRELOAD="$PRELOAD" SOCKSHIM_LOG="$WORK/real.log" "$PROGS/events" "$mode" >"$WORK/run.out" 2>&1 ||
		{ cat "$WORK/run.out"; fail "events $mode: exit $?"; }
done
check_log "$WORK/real.log" --count 4

# The fleet: each real record on host-a and host-b (both "node" to the shim,
# as network namespaces are), host-b three times over; a "site" for each
# call site (as the shim will write it), and suppressed records for two of
# them.  Then every format, other programs' lines among them.
python3 - "$WORK" <<'PY' || fail "could not write the formats"
import gzip, hashlib, json, os, sys
work = sys.argv[1]
real = [json.loads(l) for l in open(os.path.join(work, "real.log"))]
recs = []  # (host, record)
for rep, host in ((1, "host-a"), (3, "host-b")):
    for _ in range(rep):
        for r in real:
            r = dict(r)
            r["host"] = "node"
            key = "".join(f["module"] + f["offset"] for f in r["backtrace"])
            r["site"] = hashlib.sha1(key.encode()).hexdigest()[:16]
            recs.append((host, r))
site_of = {r["event"]: r["site"] for _, r in recs}
base = dict(real[0]); base.pop("backtrace", None)
for host, event, n in (("host-a", "double_close", 40), ("host-b", "double_close", 7), ("host-b", "close_rst", 1000)):
    s = {"ts": base["ts"], "pid": base["pid"], "tid": base["tid"], "prog": base["prog"], "host": "node",
         "event": "suppressed", "suppressed_event": event, "site": site_of[event], "count": n}
    recs.append((host, s))
def rec_text(r):
    return json.dumps(r, separators=(",", ":"))
stamp = "2026-11-30T10:00:00.123456+00:00"
other = {
    "syslog": "Nov 30 10:00:00 host-a sshd[77]: Accepted publickey for root",
    "rfc3339": stamp + " host-b rsyslogd: [origin software=\"rsyslogd\"] start",
    "rfc5424": "<13>1 2026-11-30T10:00:00.123Z host-a app 1 - - {\"event\":\"login\"}",
    "rfc5424-nopri": "1 2026-11-30T10:00:00.123Z host-a cron 9 - - (root) CMD (true)",
}
lines = {"jsonl": [], "syslog": [], "rfc3339": [], "rfc5424": [], "rfc5424-nopri": [],
         "journald": [], "journald-syslog": []}
for i, (host, r) in enumerate(recs):
    t = rec_text(r)
    pid = r["pid"]
    # plain JSON lines: the record's own host field is all there is
    j = dict(r); j["host"] = host
    lines["jsonl"].append(rec_text(j))
    lines["syslog"].append("Nov %2d 10:00:00 %s sockshim[%d]: %s" % (3 + i % 20, host, pid, t))
    lines["rfc3339"].append("%s %s sockshim[%d]: %s" % (stamp, host, pid, t))
    # RSYSLOG_SyslogProtocol23Format: the message keeps its leading space
    lines["rfc5424"].append("<11>1 %s %s sockshim %d - -  %s" % (stamp, host, pid, t))
    lines["rfc5424-nopri"].append("1 2026-11-30T10:00:00.123Z %s sockshim %d - [meta@1 x=\"a\\]\"] %s" % (host, pid, t))
    e = {"__CURSOR": "s=1;i=%x" % i, "__REALTIME_TIMESTAMP": "1795000000000000", "_HOSTNAME": host,
         "PRIORITY": "3", "SYSLOG_IDENTIFIER": "sockshim", "_PID": str(pid)}
    lines["journald"].append(json.dumps(dict(e, MESSAGE=r["event"], SOCKSHIM_RECORD=t)))
    lines["journald-syslog"].append(json.dumps(dict(e, MESSAGE=t)))
    if i % 3 == 0:
        for k in other:
            lines[k].append(other[k])
        for k in ("journald", "journald-syslog"):
            lines[k].append(json.dumps({"__CURSOR": "s=2", "_HOSTNAME": host, "SYSLOG_IDENTIFIER": "sshd",
                                        "MESSAGE": [65, 99, 10]}))
for k, ls in lines.items():
    data = "".join(l + "\n" for l in ls).encode()
    open(os.path.join(work, "fleet." + k), "wb").write(data)
    open(os.path.join(work, "fleet." + k + ".gz"), "wb").write(gzip.compress(data))
PY

formats="jsonl syslog rfc3339 rfc5424 rfc5424-nopri journald journald-syslog"
for f in $formats; do
	for file in "$WORK/fleet.$f" "$WORK/fleet.$f.gz"; do
		"$REPORT" --json --top 0 "$file" >"$file.json" 2>"$WORK/err" || { cat "$WORK/err"; fail "$file: exit $?"; }
		[ ! -s "$WORK/err" ] || { cat "$WORK/err"; fail "$file: the report wrote to stderr"; }
	done
done
"$REPORT" "$WORK/fleet.rfc3339" >"$WORK/fleet.txt" || fail "text report: exit $?"

python3 - "$WORK" $formats <<'PY' || fail "the formats do not give the same report"
import json, os, sys
work, formats = sys.argv[1], sys.argv[2:]
def load(name):
    return json.load(open(os.path.join(work, name + ".json")))
def totals(d):
    sites = [(s["count"], s["suppressed"], s["site"], s["events"], [f["function"] for f in s["frames"]])
             for s in d["call_sites"]["top"]]
    return {k: d[k] for k in ("records", "events_total", "by_event", "by_errno", "by_prog", "by_host",
                              "by_peer", "by_peer_port", "suppressed", "truncated", "malformed")}, sites
ref = load("fleet.jsonl")
want, want_sites = totals(ref)
for f in formats:
    for name in ("fleet." + f, "fleet." + f + ".gz"):
        d = load(name)
        got, got_sites = totals(d)
        for k in want:
            assert got[k] == want[k], (name, k, got[k], want[k])
        assert got_sites == want_sites, (name, got_sites, want_sites)
        assert list(d["by_format"]) == [{"jsonl": "jsonl", "syslog": "syslog", "rfc3339": "syslog-rfc3339",
                                         "rfc5424": "syslog-rfc5424", "rfc5424-nopri": "syslog-rfc5424",
                                         "journald": "journald", "journald-syslog": "journald"}[f]], d["by_format"]
        # every third record had another program's line beside it
        assert d["other_lines"] == (0 if f == "jsonl" else 7), (name, d["other_lines"])
# 4 real records on host-a, 12 on host-b, 3 suppressed records
assert ref["records"] == 19 and ref["malformed"] == 0, ref
assert ref["suppressed"] == {"records": 3, "count": 1047}, ref["suppressed"]
# double_close: 2 + 6 written, 40 + 7 suppressed; close_rst: 1 + 3, 1000
assert ref["by_event"] == {"close_rst": 1004, "double_close": 55, "close_error": 4}, ref["by_event"]
assert ref["events_total"] == 1063, ref
h = ref["by_host"]
assert set(h) == {"host-a", "host-b"}, h
assert h["host-a"]["count"] == 4 + 40 and h["host-b"]["count"] == 12 + 7 + 1000, h
assert h["host-a"]["by_event"] == {"double_close": 42, "close_rst": 1, "close_error": 1}, h["host-a"]
assert h["host-b"]["by_event"] == {"close_rst": 1003, "double_close": 13, "close_error": 3}, h["host-b"]
# the one peer, by address without its port, on each host
assert ref["by_peer"] == {"127.0.0.1": 4}, ref["by_peer"]
assert list(h["host-a"]["by_peer"].values()) == [1] and list(h["host-b"]["by_peer"].values()) == [3], h
cs = ref["call_sites"]["top"]
assert [(s["count"], s["suppressed"]) for s in cs] == [(1004, 1000), (55, 47), (4, 0)], cs
assert [s["frames"][0]["function"] for s in cs] == ["rude_closer", "second_closer", "bad_closer"], cs
PY
assert_grep "$WORK/fleet.txt" '^records    19$'
assert_grep "$WORK/fleet.txt" '^other      7  \(lines of other programs, skipped\)$'
assert_grep "$WORK/fleet.txt" '^suppressed 1047  \(in 3 suppressed records of the rate limit'
assert_grep "$WORK/fleet.txt" '^formats    syslog-rfc3339 19$'
assert_grep "$WORK/fleet.txt" '^  1019  host-b$'
assert_grep "$WORK/fleet.txt" '^#1  1004 records: close_rst 1004  \(1000 of them suppressed by the rate limit\)  site [0-9a-f]{16}$'
note "7 formats, plain and gzipped: identical totals; 2 hosts; 1047 suppressed records counted"

# All of them at once, plain and gzipped: fourteen times each total.
set --
for f in $formats; do set -- "$@" "$WORK/fleet.$f" "$WORK/fleet.$f.gz"; done
"$REPORT" --json "$@" >"$WORK/all.json" || fail "all formats at once: exit $?"
python3 - "$WORK/all.json" <<'PY' || fail "all formats at once: wrong totals"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["records"] == 14 * 19 and d["malformed"] == 0, d
assert d["by_event"]["close_rst"] == 14 * 1004, d["by_event"]
assert d["by_host"]["host-a"]["count"] == 14 * 44, d["by_host"]
assert sum(d["by_format"].values()) == 14 * 19 and len(d["by_format"]) == 5, d["by_format"]
PY

# Filters.
jq_like() { # FILE EXPR: a value of a --json report
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"
}
"$REPORT" --json --host host-a "$WORK/fleet.syslog.gz" >"$WORK/f.json"
[ "$(jq_like "$WORK/f.json" 'd["events_total"], d["filtered"], list(d["by_host"])')" = "(44, 14, ['host-a'])" ] ||
	fail "--host host-a: $(jq_like "$WORK/f.json" 'd["events_total"], d["filtered"], list(d["by_host"])')"
"$REPORT" --json --event double_close,close_error "$WORK/fleet.journald" >"$WORK/f.json"
[ "$(jq_like "$WORK/f.json" 'd["by_event"]')" = "{'double_close': 55, 'close_error': 4}" ] ||
	fail "--event: $(jq_like "$WORK/f.json" 'd["by_event"]')"
"$REPORT" --json --prog nothing "$WORK/fleet.rfc5424" >"$WORK/f.json"
rc=$?
[ "$rc" = 1 ] && [ "$(jq_like "$WORK/f.json" 'd["records"], d["filtered"]')" = "(0, 19)" ] ||
	fail "--prog nothing: exit $rc, $(jq_like "$WORK/f.json" 'd["records"], d["filtered"]')"
# the records' own times: all 19 within their first and last second
first=$(jq_like "$WORK/fleet.jsonl.json" 'd["first_ts"]')
last=$(jq_like "$WORK/fleet.jsonl.json" 'd["last_ts"]')
"$REPORT" --json --since "$first" --until "$last" "$WORK/fleet.jsonl" >"$WORK/f.json"
n=$(jq_like "$WORK/f.json" 'd["records"]')
[ "$n" -gt 0 ] && [ "$n" -lt 19 ] || fail "--since first --until last: $n records"
"$REPORT" --json --since 2020-01-01 --until 2100-01-01T00:00:00+01:00 "$WORK/fleet.jsonl" >"$WORK/f.json"
[ "$(jq_like "$WORK/f.json" 'd["records"]')" = 19 ] || fail "--since 2020 --until 2100: not all records"
"$REPORT" --since yesterday "$WORK/fleet.jsonl" >/dev/null 2>"$WORK/err"
[ $? = 2 ] && grep -q "^sockshim-report: --since: 'yesterday' is not a time" "$WORK/err" || fail "--since yesterday accepted"
note "filters: --host, --event, --prog, --since/--until"
