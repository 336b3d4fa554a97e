# The close history of the process a program starts as lies in memory its
# fork tree shares (close_history.c: a fork copies none of its pages); a
# forked child writes a history of its own and reads the ids from before
# the fork from the shared one.  Double closes in a parent and its child
# (tests/progs/fork_double_close.c): each record's first_backtrace is its
# own process's first close of the number, the child's from before the
# fork too, and the parent's after the child closed 4200 descriptors
# (with one ring written by the whole tree, the parent's record had no
# first_backtrace).  Also with the fork made by syscall(SYS_fork), which
# runs no fork handler (the child wrote its parent's ring all the same).
. "$(dirname "$0")/../lib.sh"

for how in fork raw; do
	SOCKSHIM_LOG="$WORK/$how.log" LD_PRELOAD="$PRELOAD" "$PROGS/fork_double_close" $how ||
		fail "$how: the program exited $?"
	check_log "$WORK/$how.log" --event double_close --where errno=EBADF --count 3
	python3 - "$WORK/$how.log" <<'PY' || fail "$how: a first_backtrace that is not its process's first close"
import json, sys
name = lambda bt: bt[0].get("symbol", "?").split("+")[0] if bt else "(none)"
seen = {}
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l)
    if r["event"] == "double_close":
        seen[name(r.get("backtrace"))] = name(r.get("first_backtrace"))
print("  double_close -> first close:", seen)
assert seen == {"parent_again": "close_in_parent", "child_again": "close_in_child",
                "q_again_in_child": "close_before_fork"}, seen
PY
done
