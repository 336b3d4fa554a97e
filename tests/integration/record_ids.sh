# Every record's "pid" and "tid" are the process's and thread's that made
# it: the shim keeps them (no system call per record) and must renew them
# in a child made by fork() (atfork), by syscall(SYS_fork) (no atfork:
# the syscall() wrapper), by clone() without CLONE_VM (no atfork: the
# clone() wrapper), and per thread.  Checked against what each
# printed of its own getpid() and gettid().
. "$(dirname "$0")/../lib.sh"
SOCKSHIM_LOG="$WORK/ids.log" shim "$PROGS/record_ids" >"$WORK/ids.out" || fail "record_ids: exit $?"
python3 - "$WORK/ids.out" "$WORK/ids.log" <<'PY' || fail "a record with another's ids"
import json, sys
want = [tuple(map(int, l.split()[2:4])) for l in open(sys.argv[1]) if l.startswith("ids ")]
got = [(r["pid"], r["tid"]) for r in map(json.loads, open(sys.argv[2])) if r["event"] == "close_error"]
print("  printed", want)
print("  records", got)
sys.exit(0 if len(want) == 6 and sorted(want) == sorted(got) else 1)
PY
