# Log files that survive rotation.  logrotate rotates the log of a running
# program (log_ticker: a record every 20 ms) three times, first with the
# shipped stanza (examples/logrotate/sockshim: create, compress,
# delaycompress), then with copytruncate: every record is found exactly
# once across the rotated files (.gz included), whole, in order, and none
# was lost.  With copytruncate, logrotate fsyncs its copy before it
# truncates the file, and what is written in between is lost (measured
# here: 3 records in 39 rotations at 50 records/s; none in as many with
# create): there, a record may be missing at a rotation's boundary, never
# inside a file.  Then the file is removed under the program: the path is made
# again within a second, and the later records are there.
# group: servers
. "$(dirname "$0")/../lib.sh"
command -v logrotate >/dev/null || skip "no logrotate here (Debian package logrotate)"
getent group adm >/dev/null || skip "no group adm (the shipped stanza creates files root:adm)"
LOGS=$WORK/logs
mkdir -p "$LOGS"
COUNT=360 # one record every 20 ms: about 7.6 s, rotated at 1.8, 3.6 and 5.4 s

# the shipped stanza, for $LOGS
sed -e "s#/var/log/sockshim/\*\.jsonl#$LOGS/*.jsonl#" "$TOP/examples/logrotate/sockshim" >"$WORK/create.conf"
grep -q "^$LOGS/\*\.jsonl {" "$WORK/create.conf" || fail "the shipped stanza names no /var/log/sockshim/*.jsonl"
sed -e 's#^\tcreate .*#\tcopytruncate#' "$WORK/create.conf" >"$WORK/copytruncate.conf"
grep -q copytruncate "$WORK/copytruncate.conf" || fail "no create line to replace"

# run NAME CONF: the ticker logging to $LOGS/app.jsonl, rotated three times
run() {
	rm -f "$LOGS"/* "$WORK/state"
	SOCKSHIM_LOG="$LOGS/app.jsonl" shim "$PROGS/log_ticker" $COUNT 20 >"$WORK/$1.out" 2>"$WORK/$1.err" &
	ticker=$!
	BG_PIDS="$BG_PIDS $ticker"
	for _ in 1 2 3; do
		sleep 1.8 # more than the second the shim may take to notice
		logrotate -f -s "$WORK/state" "$2" 2>>"$WORK/$1.logrotate" ||
			{ cat "$WORK/$1.logrotate"; fail "logrotate $1: exit $?"; }
	done
	wait "$ticker" || fail "ticker exit $?"
	[ ! -s "$WORK/$1.err" ] || { cat "$WORK/$1.err"; fail "the ticker wrote to stderr"; }
	python3 - "$LOGS" "$WORK/$1.out" "$1" <<'PY' || fail "records of $1 checked above"
import glob, gzip, json, os, re, sys
logs, out, name = sys.argv[1:]
printed = [l for l in open(out) if l.startswith("tick ")]
# oldest first: app.jsonl.3.gz, .2.gz, .1, then the live file
def age(f):
    m = re.search(r"\.(\d+)(\.gz)?$", f)
    return -int(m.group(1)) if m else 0
files = sorted(glob.glob(logs + "/app.jsonl*"), key=age)
seq, per_file, gaps = [], {}, []
for f in files:
    with (gzip.open(f, "rt") if f.endswith(".gz") else open(f)) as fh:
        lines = fh.read().split("\n")
    assert lines[-1] == "", f"{f}: a cut last line {lines[-1]!r}"
    pos = []
    for line in lines[:-1]:
        rec = json.loads(line)  # whole lines only
        assert rec["event"] == "close_rst", f"{f}: {line}"
        pos.append(rec["unread"] - 1)  # the ticker's sequence number, from 0 here
    # within a file, every record in order and none missing
    assert pos == list(range(pos[0], pos[0] + len(pos))) if pos else True, f"{f}: gap or disorder inside: {[(i, p) for i, p in enumerate(pos) if i and p != pos[i-1] + 1]}"
    if pos and seq and pos[0] != seq[-1] + 1:
        gaps.append(pos[0] - seq[-1] - 1)
    seq += pos
    per_file[os.path.basename(f)] = len(pos)
lost = len(printed) - len(seq)
print(f"  {name}: " + ", ".join(f"{k} {v}" for k, v in per_file.items()) +
      f"; {len(seq)} of {len(printed)} records" +
      (f", {lost} lost between a copy and its truncation" if lost else ""))
assert len(per_file) == 4, per_file  # the live file and three rotations
assert all(per_file.values()), f"records in each: {per_file}"
assert seq[0] == 0 and seq[-1] == len(printed) - 1, "first or last record missing"
assert len(set(seq)) == len(seq), "a record twice"
if name == "copytruncate":
    # logrotate fsyncs its copy before it truncates: what is written in
    # between is lost (its man page warns of it), at a rotation, nowhere else
    assert len(gaps) <= 3 and all(g <= 3 for g in gaps), gaps
else:
    assert lost == 0, f"lost {lost} records"
PY
}

run create "$WORK/create.conf"
# create: the shim writes to the file logrotate made, with its mode and owner
[ "$(stat -c '%a %U:%G' "$LOGS/app.jsonl")" = "640 root:adm" ] || fail "app.jsonl: $(stat -c '%a %U:%G' "$LOGS/app.jsonl")"
ls "$LOGS"/app.jsonl.*.gz >/dev/null 2>&1 || fail "nothing was compressed"
run copytruncate "$WORK/copytruncate.conf"

# removed under the program: made again within a second
rm -f "$LOGS"/*
SOCKSHIM_LOG="$LOGS/app.jsonl" shim "$PROGS/log_ticker" 120 20 >"$WORK/rm.out" 2>"$WORK/rm.err" &
ticker=$!
BG_PIDS="$BG_PIDS $ticker"
# (removed once there, and looked for once the ticker is done: not fixed
# sleeps a loaded machine outruns)
wait_file "$LOGS/app.jsonl" "the ticker made no log file"
sleep 0.5
rm "$LOGS/app.jsonl" || fail "no log file to remove"
wait "$ticker" || fail "ticker exit $?"
[ -s "$LOGS/app.jsonl" ] || fail "the removed file was not made again"
check_log "$LOGS/app.jsonl" --event close_rst --where unread=120 --count 1
[ "$(stat -c %a "$LOGS/app.jsonl")" = 640 ] || fail "made again with mode $(stat -c %a "$LOGS/app.jsonl")"
note "removed: made again, $(wc -l <"$LOGS/app.jsonl") of 120 records in the new file"
