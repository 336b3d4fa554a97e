# A double close of a pipe at the default level: the close keeps its
# innermost frames in the close history outside any call of the shim's
# (close_path.c, close_brief), and the second close's record goes on from
# the frames it found rather than unwinding them again.  Every frame of
# both backtraces is the program's, in order, none missing or twice: at
# the seam where the record's backtrace goes on past the history's depth
# (8) too.  link1() ... link12() each its own name; link12() closes twice.
. "$(dirname "$0")/../lib.sh"

rm -f "$WORK/chain.log"
LD_PRELOAD="$PRELOAD" SOCKSHIM_LOG="$WORK/chain.log" "$PROGS/events" chain \
	>"$WORK/chain.out" 2>"$WORK/chain.err" || { cat "$WORK/chain.err"; fail "events chain: exit $?"; }
assert_grep "$WORK/chain.out" '^ok$'
check_log "$WORK/chain.log" --event double_close --where errno=EBADF --count 1
python3 - "$WORK/chain.log" <<'PY' || fail "double_close frames of the chain not as called"
import json, sys
r = json.loads(open(sys.argv[1]).readline())
names = lambda bt: [f.get("symbol", "?").split("+")[0] for f in bt]
want = ["link%d" % i for i in range(12, 0, -1)] + ["main"]
bt, first = names(r["backtrace"]), names(r["first_backtrace"])
# SOCKSHIM_BACKTRACE_DEPTH's default, 16: the chain and main, then libc's
assert len(bt) == 16 and bt[:13] == want, bt
assert len(first) == 8 and first == want[:8], first
# the two closes are two call sites in link12, the callers' the same
assert r["backtrace"][0]["ip"] != r["first_backtrace"][0]["ip"], (r["backtrace"][0], r["first_backtrace"][0])
assert [f["ip"] for f in r["backtrace"][1:8]] == [f["ip"] for f in r["first_backtrace"][1:8]]
PY
