# The processes of a fork tree share one close history (close_history.c:
# a fork copies none of its pages).  A double close in the parent and one
# in its child, each after the other's first close of the same number:
# each record's first_backtrace is its own process's first close.  With a
# counter of ids in each process, the child's first close took the id of
# the parent's and overwrote its slot: the parent's record named
# close_in_child.
. "$(dirname "$0")/../lib.sh"

SOCKSHIM_LOG="$WORK/fork.log" env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/fork_double_close" ||
	fail "the program exited $?"
check_log "$WORK/fork.log" --event double_close --where errno=EBADF --count 2
python3 - "$WORK/fork.log" <<'PY' || fail "a first_backtrace that is not its process's first close"
import json, sys
name = lambda bt: bt[0].get("symbol", "?").split("+")[0]
seen = {}
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l)
    if r["event"] == "double_close":
        seen[name(r["backtrace"])] = name(r["first_backtrace"])
print("  double_close -> first close:", seen)
assert seen == {"parent_again": "close_in_parent", "child_again": "close_in_child"}, seen
PY
