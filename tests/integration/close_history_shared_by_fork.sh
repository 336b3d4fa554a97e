# The close history of the process a program starts as lies in memory its
# fork tree shares (close_history.c: a fork copies none of its pages); a
# forked child writes a history of its own and reads the ids from before
# the fork from the shared one.  Double closes in a parent and its child
# (tests/progs/fork_double_close.c): each record's first_backtrace is its
# own process's first close of the number, the child's from before the
# fork too, and the parent's after the child closed 4200 descriptors
# (with one ring written by the whole tree, the parent's record had no
# first_backtrace).
. "$(dirname "$0")/../lib.sh"

SOCKSHIM_LOG="$WORK/fork.log" env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/fork_double_close" ||
	fail "the program exited $?"
check_log "$WORK/fork.log" --event double_close --where errno=EBADF --count 3
python3 - "$WORK/fork.log" <<'PY' || fail "a first_backtrace that is not its process's first close"
import json, sys
name = lambda bt: bt[0].get("symbol", "?").split("+")[0] if bt else "(none)"
seen = {}
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l)
    if r["event"] == "double_close":
        seen[name(r["backtrace"])] = name(r.get("first_backtrace"))
print("  double_close -> first close:", seen)
assert seen == {"parent_again": "close_in_parent", "child_again": "close_in_child",
                "q_again_in_child": "close_before_fork"}, seen
PY
