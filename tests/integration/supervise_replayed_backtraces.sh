# Issue 13 (the supervisor's cost per trapped call): a trapped close's
# backtrace, kept for a later double_close, was unwound by libdw at every
# trapped call (with a guess of the frame pointer that looks up symbols),
# about 19 us of a trapped close's 27.  An unwind is now kept with the
# stack words it read and replayed where a later trapped call starts at the
# same (sp, pc) and finds them again (supervisor/replay.c): ~12 us.
#
# What must hold: a replayed backtrace is the one a walk gives.  A static
# program double-closes 20 times from each of two call sites called in turn
# from the same place (tests/progs/events double_closes): every close, the
# first and the second of each site, traps at the same stack pointer and
# program counter (libc's close), the words above it alike but the return
# addresses into the callers.  Each double_close names its own site in both
# backtraces, and every record of a site has the very frames of that
# site's first.  And replays happen: a walk copies 8 KiB of the stack
# (process_vm_readv, counted with strace -f: the supervisor's receiving
# threads make them), a replay only the words it
# checks; the four unwinds are walked once each, the other 76 replayed.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor runs static programs, which no sanitizer runtime is in"
command -v strace >/dev/null || skip "strace is not installed"

strace -f -qq -e trace=process_vm_readv -o "$WORK/reads" \
	"$TOP/tools/sockshim" --supervise --log "$WORK/dc.log" -- "$PROGS/static/events" double_closes 20 \
	>"$WORK/dc.out" || fail "events double_closes: exit $?"
walks=$(grep -c 'iov_len=8192}], 1, 0)' "$WORK/reads")
[ "$walks" -ge 4 ] && [ "$walks" -le 8 ] ||
	fail "$walks stacks of 8 KiB copied for 80 trapped closes (4 to 8: each unwind walked once)"
assert_grep "$WORK/dc.out" '^ok$'
check_log "$WORK/dc.log" --event double_close --count 40
python3 - "$WORK/dc.log" <<'PY' || fail "replayed backtraces differ from the walked ones"
import json, sys
names = lambda bt: [f.get("symbol", "?").split("+")[0] for f in bt]
ips = lambda bt: [f["ip"] for f in bt]
seen = {}
order = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["event"] != "double_close":
        continue
    bt, first = names(r["backtrace"]), names(r["first_backtrace"])
    site = bt[2]
    assert bt[1:4] == ["second_closer", site, "double_closes"], bt
    assert first[1:4] == ["first_closer", site, "double_closes"], first
    order.append(site)
    key = (ips(r["backtrace"]), ips(r["first_backtrace"]))
    assert seen.setdefault(site, key) == key, (site, key, seen[site])
assert order == ["twice_here", "twice_there"] * 20, order
PY
note "40 double_close records, each with its own site's frames, as the first walk of each site; $walks walks for 80 trapped closes"
