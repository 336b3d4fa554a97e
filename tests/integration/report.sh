# build/sockshim-report on real logs of tests/progs/events: counts, call
# sites named down to the source line of the close() (libdw reading the
# program's debug info), --json, malformed and truncated lines, standard
# input and glob patterns, exit statuses.
. "$(dirname "$0")/../lib.sh"

REPORT="$B/sockshim-report"
[ -x "$REPORT" ] || fail "no $REPORT (make build/sockshim-report)"
# debug info from this machine only: no downloads in a test
unset DEBUGINFOD_URLS
SRC="$TOP/tests/progs/events.c"

run() { # LOG MODE [VAR=VALUE...]: events MODE under the shim, records appended to LOG
	log=$1
	mode=$2
	shift 2
	env LD_PRELOAD="$PRELOAD" SOCKSHIM_LOG="$log" "$@" "$PROGS/events" "$mode" \
		>"$WORK/run.out" 2>&1 || { cat "$WORK/run.out"; fail "events $mode: exit $?"; }
}

# The line of the close() call in function $1 of events.c, from the source.
close_line() {
	awk -v f="$1" '$0 ~ "^NOINLINE .* " f "\\(" { in_f = 1 }
		in_f && /close\(/ { print NR; exit }
		in_f && /^}/ { exit }' "$SRC"
}

# double_close twice, after another: first by count, not by log order
for mode in unread_data double_close double_close close_error; do
	run "$WORK/events.log" "$mode"
done
check_log "$WORK/events.log" --count 4
second=$(close_line second_closer)
rude=$(close_line rude_closer)
bad=$(close_line bad_closer)
[ -n "$second" ] && [ -n "$rude" ] && [ -n "$bad" ] || fail "close() lines not found in $SRC"

# (1) text: the top call site is second_closer's close(), twice, named with
# its source line; the two others follow, each at its own line.
"$REPORT" "$WORK/events.log" >"$WORK/report.txt" 2>"$WORK/report.err" ||
	{ cat "$WORK/report.err"; fail "report: exit $?"; }
[ ! -s "$WORK/report.err" ] || { cat "$WORK/report.err"; fail "report wrote to stderr"; }
# the first frame line after the header of site #N
site_top_frame() {
	awk -v n="$1" '$1 == "#" n { getline; print; exit }' "$WORK/report.txt"
}
check_frame() { # N FUNCTION LINE
	line=$(site_top_frame "$1")
	echo "$line" | grep -Eq "^ +0  $2\+0x[0-9a-f]+ +([^ ]*/)?tests/progs/events\.c:$3 +events\+0x[0-9a-f]+$" ||
		{ cat "$WORK/report.txt"; fail "site #$1 is not $2 at events.c:$3: '$line'"; }
}
assert_grep "$WORK/report.txt" '^#1  2 records: double_close 2$'
check_frame 1 second_closer "$second"
check_frame 2 rude_closer "$rude"
check_frame 3 bad_closer "$bad"
assert_grep "$WORK/report.txt" '^records    4$'
assert_grep "$WORK/report.txt" '^malformed  0$'
assert_grep "$WORK/report.txt" '^  3  EBADF$'
assert_grep "$WORK/report.txt" '^  4  events$'
assert_grep "$WORK/report.txt" '^  1  127\.0\.0\.1:[0-9]+$'
assert_grep "$WORK/report.txt" '^    sample: \{"ts":.*"event":"double_close"'
note "top call site: second_closer at events.c:$second, then rude_closer:$rude, bad_closer:$bad"

# (2) --json: the same content, for programs.
"$REPORT" --json "$WORK/events.log" >"$WORK/report.json" || fail "report --json: exit $?"
python3 - "$WORK/report.json" "$second" "$rude" "$bad" <<'PY' || { cat "$WORK/report.json"; fail "--json report wrong"; }
import json, sys
d = json.load(open(sys.argv[1]))
lines = [int(x) for x in sys.argv[2:]]
assert d["records"] == 4 and d["lines"] == 4 and d["malformed"] == 0 and d["truncated"] == 0, d
assert d["by_event"] == {"double_close": 2, "close_error": 1, "close_rst": 1}, d["by_event"]
assert list(d["by_event"]) == ["double_close", "close_error", "close_rst"], "not by count, then name"
assert d["by_errno"] == {"EBADF": 3} and d["by_prog"] == {"events": 4}, d
assert len(d["by_peer"]) == 1 and list(d["by_peer"].values()) == [1], d["by_peer"]
cs = d["call_sites"]
assert cs["distinct"] == 3 and cs["records_with_backtrace"] == 4 and cs["stale_objects"] == [], cs
for site, count, func, line in zip(cs["top"], (2, 1, 1), ("second_closer", "rude_closer", "bad_closer"), lines):
    f = site["frames"][0]
    assert site["count"] == count, site
    assert f["function"] == func and f["from"] == "libdw", f
    assert f["file"].endswith("tests/progs/events.c") and f["line"] == line, f
    assert f["module"].endswith("/progs/events"), f
    assert site["frames"][1]["function"] == "main", site["frames"][1]
    assert site["sample"].startswith('{"ts":') and len(site["sample"]) <= 303, site["sample"]
PY
"$REPORT" --json --top 1 "$WORK/events.log" |
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d["call_sites"]["top"]) == 1, d' ||
	fail "--top 1 shows more than one call site"
note "--json parses, with the counts and the named frames"

# libdw names what the log could not: the static helpers of progs.h have no
# dynamic symbol, so their frames come without "symbol".
run "$WORK/calls.log" calls SOCKSHIM_EVENTS=all
grep '"event":"socket"' "$WORK/calls.log" | head -1 >"$WORK/socket.log"
python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["backtrace"][0]; assert "symbol" not in f, f' \
	"$WORK/socket.log" || fail "the socket record's first frame has a symbol already"
"$REPORT" --json "$WORK/socket.log" | python3 -c '
import json, sys
f = json.load(sys.stdin)["call_sites"]["top"][0]["frames"][0]
assert f["function"] == "listen_loopback" and f["file"].endswith("tests/progs/progs.h") and f["line"] > 0, f
' || fail "a frame without symbol in the log is not named by libdw"

# An object that is not the one that wrote the log (its symbol starts
# elsewhere): named from the log, no source line, and a warning.
grep -m1 '"event":"double_close"' "$WORK/events.log" | sed 's/"symbol":"second_closer+0x\([0-9a-f]*\)"/"symbol":"second_closer+0x1\1"/' >"$WORK/stale.log"
grep -q 'second_closer+0x1' "$WORK/stale.log" || fail "could not make the stale log"
# a record that agrees with the file still gets its source line
grep -m1 '"event":"close_error"' "$WORK/events.log" >>"$WORK/stale.log"
"$REPORT" "$WORK/stale.log" >"$WORK/stale.txt" || fail "stale log: exit $?"
assert_grep "$WORK/stale.txt" '^warning: .*/progs/events is not the object that wrote some records'
assert_grep "$WORK/stale.txt" '^ +0  second_closer\+0x1[0-9a-f]+ +events\+0x[0-9a-f]+  \(object differs: named from the log\)$'
assert_grep "$WORK/stale.txt" "^ +0  bad_closer\\+0x[0-9a-f]+ +([^ ]*/)?tests/progs/events\\.c:$bad +events\\+0x[0-9a-f]+$"
note "an object rebuilt since the log is told, not trusted"

# (3) what is not a record: half a line, binary bytes, [], {}, between a
# valid record and one whose backtrace was cut ("truncated":true), and a
# last line without its newline.
run "$WORK/deep.log" deep SOCKSHIM_BACKTRACE_DEPTH=64
check_log "$WORK/deep.log" --where truncated=True --count 1
{
	grep -m1 '"event":"double_close"' "$WORK/events.log" | head -c 150
	echo
	printf '\001\002\377\376\000binary\033[2J\n'
	echo '[]'
	echo
	echo '{}'
	grep -m1 '"event":"double_close"' "$WORK/events.log"
	cat "$WORK/deep.log"
	echo '{"event":"close","prog":"\u001b[2Jevil"}'
	printf '{"event":"close_rst","prog":"no newline"}'
} >"$WORK/mixed.log"
"$REPORT" "$WORK/mixed.log" >"$WORK/mixed.txt" 2>&1 || { cat "$WORK/mixed.txt"; fail "mixed log: exit $?"; }
assert_grep "$WORK/mixed.txt" '^lines      8  \(and 1 blank\)$'
assert_grep "$WORK/mixed.txt" '^records    4  \(1 truncated'
assert_grep "$WORK/mixed.txt" "^malformed  4  \(not JSON 2, not an object 1, no event 1; the first at $WORK/mixed.log:1\)$"
assert_grep "$WORK/mixed.txt" '^  1  no newline$'
assert_grep "$WORK/mixed.txt" '^  1  \?\[2Jevil$'
if grep -q "$(printf '\033')" "$WORK/mixed.txt"; then fail "a control character of the log reached the output"; fi
"$REPORT" --json "$WORK/mixed.log" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert (d["records"], d["malformed"], d["truncated"], d["blank_lines"]) == (4, 4, 1, 1), d
assert d["malformed_by_reason"] == {"not JSON": 2, "not an object": 1, "no event": 1}, d
assert d["by_event"] == {"double_close": 2, "close": 1, "close_rst": 1}, d["by_event"]
assert d["by_prog"]["\x1b[2Jevil"] == 1, d["by_prog"]
deep = [s for s in d["call_sites"]["top"] if s["truncated"]]
assert len(deep) == 1 and deep[0]["frames"][0]["function"] == "deep_closer", deep
' || fail "--json of the mixed log wrong"
note "malformed lines and truncated records counted, exit 0"

# Nothing but garbage: the report, and exit 1.  Huge lines and random bytes
# (the same every run) do not crash it.
python3 - "$WORK/garbage.log" <<'PY'
import random, sys
random.seed(1)
with open(sys.argv[1], "wb") as f:
    f.write(b"[" * 200000 + b"\n")
    f.write(bytes(random.randrange(256) for _ in range(300000)))
PY
"$REPORT" "$WORK/garbage.log" >"$WORK/garbage.txt" 2>&1
rc=$?
[ "$rc" = 1 ] || { cat "$WORK/garbage.txt"; fail "only garbage: exit $rc, expected 1"; }
assert_grep "$WORK/garbage.txt" '^records    0$'
assert_grep "$WORK/garbage.txt" '^malformed  [0-9]+  \(not JSON [0-9]+.*too long 1'
: >"$WORK/empty.log"
"$REPORT" "$WORK/empty.log" >/dev/null
rc=$?
[ "$rc" = 1 ] || fail "empty log: exit $rc, expected 1"

# (4) standard input, and a glob pattern that the shell did not expand.
"$REPORT" --json - <"$WORK/events.log" >"$WORK/stdin.json" || fail "stdin: exit $?"
sed -n '1,3p' "$WORK/events.log" >"$WORK/part-1.log"
sed -n '4,$p' "$WORK/events.log" >"$WORK/part-2.log"
"$REPORT" --json "$WORK/part-*.log" >"$WORK/glob.json" || fail "glob: exit $?"
python3 - "$WORK/stdin.json" "$WORK/glob.json" "$WORK" <<'PY' || fail "stdin or glob report wrong"
import json, sys
s, g = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert s["inputs"] == ["-"] and s["records"] == 4 and s["by_event"]["double_close"] == 2, s
w = sys.argv[3]
assert g["inputs"] == [w + "/part-1.log", w + "/part-2.log"], g["inputs"]
assert g["records"] == 4 and g["by_event"]["double_close"] == 2, g
assert g["call_sites"]["top"][0]["frames"][0]["function"] == "second_closer", g
PY
note "- reads standard input; a glob pattern is expanded"

# Usage errors and unreadable inputs: exit 2 and a message, no report.
expect2() { # what args...
	what=$1
	shift
	"$REPORT" "$@" >"$WORK/err.out" 2>"$WORK/err.txt"
	rc=$?
	[ "$rc" = 2 ] || fail "$what: exit $rc, expected 2"
	[ ! -s "$WORK/err.out" ] || fail "$what: a report on stdout"
	grep -q '^sockshim-report: ' "$WORK/err.txt" || { cat "$WORK/err.txt"; fail "$what: no message"; }
}
expect2 "missing file" "$WORK/events.log" "$WORK/nothing.log"
expect2 "pattern matching nothing" "$WORK/nothing-*.log"
expect2 "directory" "$WORK"
expect2 "no log" --json
expect2 "bad --top" --top many "$WORK/events.log"
expect2 "unknown option" --colour "$WORK/events.log"
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
[ -n "$version" ] || fail "no version in debian/changelog"
[ "$("$REPORT" --version)" = "sockshim-report $version" ] || fail "--version is not sockshim-report $version"
"$REPORT" --help | grep -q '^Exit status' || fail "--help does not tell the exit status"
note "exit 2 with a message on usage errors and unreadable inputs"
