# Regression: `journalctl -o json` (without --all, as the man pages and
# README show it) prints a field of 4096 bytes or more, counting its name
# and "=", as null: a record of 4080 bytes or more (a deep backtrace cut to
# fit the shim's 4096) lost SOCKSHIM_RECORD there, and one of 4088 or more
# MESSAGE too, and sockshim-report could not read it (malformed, "journal
# field left out").  Records to journald are now cut to fit those fields
# (at most 4080 bytes with the newline), and records to syslog to fit
# MESSAGE (4088), which journald keeps on a host where it owns /dev/log.
# A standalone systemd-journald (as log_journald.sh runs it); the record's
# length is varied by the program's name (copies of events, names of 1 to
# 40 characters), each double-closing 100 calls deep at depth 64.
# Before: "journald: 7 of 40 records without SOCKSHIM_RECORD, 3 without MESSAGE".
# group: servers
. "$(dirname "$0")/../lib.sh"
private_mounts "$@"
journald_mounts
private_dev
bg_start "$JOURNALD"
for _ in $(seq 100); do [ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/dev-log ] && break; sleep 0.05; done
[ -S /run/systemd/journal/socket ] || skip "systemd-journald does not start here"
syslog=""
# /dev/log is journald's, as on every systemd host
[ -S /run/systemd/journal/dev-log ] && ln -s /run/systemd/journal/dev-log /dev/log && syslog=syslog

mkdir -p "$WORK/bin"
name=""
for _ in $(seq 40); do
	name=${name}p
	cp "$PROGS/events" "$WORK/bin/$name"
done
for dest in journald $syslog; do
	for p in "$WORK"/bin/*; do
		env SOCKSHIM_LOG=$dest SOCKSHIM_BACKTRACE_DEPTH=64 $SAN_VARS LD_PRELOAD="$PRELOAD" "$p" deep \
			>/dev/null 2>>"$WORK/err" || fail "$p: exit $?"
	done
done
[ ! -s "$WORK/err" ] || { cat "$WORK/err"; fail "wrote to stderr"; }
for dest in journald $syslog; do
	[ $dest = journald ] && transport=journal || transport=syslog
	for _ in $(seq 100); do
		journalctl --no-pager -q -o json SYSLOG_IDENTIFIER=sockshim _TRANSPORT=$transport >"$WORK/$dest.json" 2>/dev/null
		[ "$(wc -l <"$WORK/$dest.json")" -ge 40 ] && break
		sleep 0.05
	done
	python3 - "$WORK/$dest.json" $dest <<'PY' || fail "$dest: see above"
import json, sys
path, dest = sys.argv[1:]
entries = [json.loads(l) for l in open(path)]
assert len(entries) == 40, f"{len(entries)} entries"
no_rec = sum(1 for e in entries if e.get("SOCKSHIM_RECORD", "") is None)
no_msg = sum(1 for e in entries if e.get("MESSAGE") is None)
recs = [json.loads(e["MESSAGE"]) for e in entries if e.get("MESSAGE") is not None]
longest = max(len(e["MESSAGE"].encode()) + 1 for e in entries if e.get("MESSAGE") is not None)
cut = sum(1 for r in recs if r.get("truncated"))
if no_rec or no_msg:
    print(f"{dest}: {no_rec} of 40 records without SOCKSHIM_RECORD, {no_msg} without MESSAGE", file=sys.stderr)
    sys.exit(1)
assert cut == 40, f"only {cut} of 40 records cut to fit: not what this checks"
print(f"  {dest}: 40 records, all cut to fit, the longest {longest} bytes, every field there")
PY
	"$B/sockshim-report" --json "$WORK/$dest.json" >"$WORK/report.json" || fail "report: exit $?"
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["records"] == 40 and r["malformed"] == 0, (r["records"], r["malformed"])
' "$WORK/report.json" || fail "$dest: the report did not read every record"
done
[ -n "$syslog" ] || note "(no /run/systemd/journal/dev-log: syslog through journald not checked)"
