# Regression (a helper's sweep, F4): the collector's file of
# examples/rsyslog/sockshim-collector.conf, rotated as its comment said
# "with a logrotate stanza like examples/logrotate/sockshim", which has no
# postrotate (the shim reopens its own files; rsyslog does not): rsyslogd
# kept writing into the rotated fleet.log.1, the new fleet.log stayed
# empty, and notifempty then skipped every later rotation.  Here both
# halves, with the shipped snippet as it is (its own /var/log, network and
# mount namespaces): under the shim's stanza, the records after a rotation
# are in .1 and the next rotation does nothing (the problem); under
# examples/logrotate/sockshim-collector, rotated three times, each batch
# of records is in the file that was live when it was sent, every record
# exactly once across fleet.log, .1 and the .gz files.  Its postrotate,
# Debian's /usr/lib/rsyslog/rsyslog-rotate, HUPs the system's rsyslog
# through systemd: in the namespace a stand-in in its place HUPs the test's.
# Before (the second half under the shim's stanza, as the snippet's comment
# said): "FAIL: collector's stanza: batch 1 not all in fleet.log.3.gz", all
# 40 records in fleet.log.1, fleet.log empty, no .gz.
# group: servers
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root for mount and network namespaces"
RSYSLOGD=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
[ -x "$RSYSLOGD" ] || skip "rsyslogd is not installed (apt-get install rsyslog)"
command -v logrotate >/dev/null || skip "no logrotate here (Debian package logrotate)"
command -v logger >/dev/null || skip "no logger (bsdutils)"
command -v nsenter >/dev/null || skip "no nsenter"
getent group adm >/dev/null || skip "no group adm (the shim's stanza creates files root:adm)"
ROTATE=/usr/lib/rsyslog/rsyslog-rotate
[ -f "$ROTATE" ] || skip "no $ROTATE (Debian's rsyslog package has it)"
REPORT="$B/sockshim-report"
FLEET=/var/log/sockshim/fleet.log # in the namespace: $WORK/varlog/sockshim/fleet.log

mkdir -p "$WORK/spool"
cat >"$WORK/rsyslog.conf" <<CONF
global(workDirectory="$WORK/spool")
include(file="$TOP/examples/rsyslog/sockshim-collector.conf")
CONF
# the shim's stanza, for the collector's file
sed -e "s#^/var/log/sockshim/\*\.jsonl {#$FLEET {#" "$TOP/examples/logrotate/sockshim" >"$WORK/shim.conf"
grep -q "^$FLEET {" "$WORK/shim.conf" || fail "the shim's stanza names no /var/log/sockshim/*.jsonl"
grep -q '^[[:space:]]*/usr/lib/rsyslog/rsyslog-rotate$' "$TOP/examples/logrotate/sockshim-collector" ||
	fail "the collector's stanza does not run rsyslog-rotate"

# run NAME STANZA: a collector of its own, 4 batches of 10 records, each
# batch followed by a forced rotation; leaves the files in $WORK/NAME
run() {
	name=$1 stanza=$2
	rm -rf "$WORK/varlog" && mkdir -p "$WORK/varlog"
	rm -f "$WORK/state" "$WORK/rsyslogd.pid"
	bg_start unshare -m -n --propagation private sh -c '
		ip link set lo up || exit 1
		mount --bind "$1/varlog" /var/log || exit 1
		# Debian'\''s rsyslog-rotate HUPs the system'\''s rsyslog: here, ours
		printf "#!/bin/sh\nkill -HUP \$(cat %s/rsyslogd.pid)\n" "$1" >"$1/rotate" && chmod +x "$1/rotate" &&
			mount --bind "$1/rotate" "$3" || exit 1
		exec "$2" -n -f "$1/rsyslog.conf" -i "$1/rsyslogd.pid"' sh "$WORK" "$RSYSLOGD" "$ROTATE" 2>>"$WORK/$name.stderr"
	daemon=$BG_PID
	for _ in $(seq 200); do
		nsenter -t "$daemon" -n ss -Htln "sport = :6514" | grep -q . && [ -s "$WORK/rsyslogd.pid" ] && break
		sleep 0.05
	done
	nsenter -t "$daemon" -n ss -Htln "sport = :6514" | grep -q . || { cat "$WORK/$name.stderr"; fail "$name: the collector does not listen"; }
	n=0
	for batch in 1 2 3 4; do
		for _ in $(seq 10); do
			n=$((n + 1))
			# as a host's rsyslogd forwards a record: RFC 5424 over TCP
			nsenter -t "$daemon" -n logger --tcp -n 127.0.0.1 -P 6514 --rfc5424 -t sockshim --id=4242 \
				"{\"ts\":\"2026-12-02T10:00:00.000001Z\",\"pid\":4242,\"tid\":4242,\"prog\":\"srv\",\"host\":\"h\",\"event\":\"close_rst\",\"unread\":$n}" ||
				fail "$name: logger"
		done
		# every record of the batch written somewhere
		for _ in $(seq 100); do
			[ "$(cat "$WORK"/varlog/sockshim/fleet.log* 2>/dev/null | zcat -f | grep -c '"unread":')" = $n ] && break
			sleep 0.05
		done
		[ $batch = 4 ] && break
		nsenter -t "$daemon" -m -n logrotate -f -s "$WORK/state" "$stanza" 2>>"$WORK/$name.logrotate" ||
			{ cat "$WORK/$name.logrotate"; fail "$name: logrotate: exit $?"; }
		sleep 0.3 # the HUP taken
	done
	bg_stop "$daemon"
	rm -rf "$WORK/$name" && cp -a "$WORK/varlog/sockshim" "$WORK/$name"
	# where each record ended up: "BATCH FILE" a line
	for f in "$WORK/$name"/fleet.log*; do
		zcat -f "$f" | sed -n 's/.*"unread":\([0-9]*\)}$/\1/p' |
			awk -v f="$(basename "$f")" '{ print int(($1 - 1) / 10) + 1, f }'
	done >"$WORK/$name.where"
}
# in_batch NAME BATCH FILE: how many of that batch's records are in FILE
in_batch() {
	awk -v b="$2" -v f="$3" '$1 == b && $2 == f { n++ } END { print n + 0 }' "$WORK/$1.where"
}

# --- the problem: the shim's stanza, no postrotate ---
run shim "$WORK/shim.conf"
[ "$(in_batch shim 2 fleet.log)" = 0 ] && [ "$(in_batch shim 2 fleet.log.1)" = 10 ] ||
	{ sort "$WORK/shim.where" | uniq -c; fail "the shim's stanza: expected batch 2 in fleet.log.1 (rsyslog not told), see above"; }
[ "$(in_batch shim 4 fleet.log.1)" = 10 ] && [ ! -e "$WORK/shim/fleet.log.2.gz" ] ||
	{ sort "$WORK/shim.where" | uniq -c; ls -l "$WORK/shim"; fail "the shim's stanza: expected notifempty to skip the later rotations"; }
note "the shim's stanza: batches 2 to 4 in fleet.log.1, fleet.log left empty, no later rotation (as F4 found)"

# --- the cure: the collector's stanza ---
run collector "$TOP/examples/logrotate/sockshim-collector"
# batch 1 rotated three times (.3.gz), batch 4 in the live file
for b in 1 2 3 4; do
	f=fleet.log; [ $b -lt 4 ] && f=fleet.log.$((4 - b)); [ $b -lt 3 ] && f=$f.gz
	[ "$(in_batch collector $b $f)" = 10 ] || { sort "$WORK/collector.where" | uniq -c; ls -l "$WORK/collector"; fail "collector's stanza: batch $b not all in $f"; }
done
"$REPORT" --json --top 0 "$WORK"/collector/fleet.log* >"$WORK/report.json" || fail "sockshim-report: exit $?"
python3 - "$WORK/report.json" "$WORK/collector" <<'PY' || fail "the collector's files: see above"
import glob, gzip, json, sys
r = json.load(open(sys.argv[1]))
assert r["records"] == 40 and r["malformed"] == 0 and r["other_lines"] == 0, (r["records"], r["malformed"], r["other_lines"])
seen = []
for f in glob.glob(sys.argv[2] + "/fleet.log*"):
    for line in (gzip.open(f, "rt") if f.endswith(".gz") else open(f)):
        seen.append(json.loads(line[line.index("{"):])["unread"])
assert sorted(seen) == list(range(1, 41)), f"records once each: {sorted(seen)}"
PY
note "the collector's stanza: 3 rotations, each batch in its own file, 40 of 40 records once (sockshim-report over fleet.log*)"
