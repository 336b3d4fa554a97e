# Regression: the shim initialised itself inside a vfork child when that
# child made the first call it saw (a library constructor that vforks
# before the shim's constructor has run: tests/preload/vfork_ctor.c).  The
# child runs on its parent's memory, so the parent kept the state made
# there: the child's pid in every record it wrote afterwards.
# Before: "the record's pid 10172 is not its process's (tid 10171)".
. "$(dirname "$0")/../lib.sh"
env $SAN_VARS LD_PRELOAD="$PRELOAD:$PROGS/vfork_ctor.so" SOCKSHIM_LOG="$WORK/a.log" "$PROGS/events" double_close >"$WORK/out" 2>&1 ||
	fail "exit $?: $(cat "$WORK/out")"
n=$(grep -c '"event":"double_close"' "$WORK/a.log")
[ "$n" = 1 ] || fail "$n double_close records, 1 expected: $(cat "$WORK/a.log")"
pid=$(sed -n 's/.*"pid":\([0-9]*\),"tid":\([0-9]*\),.*"event":"double_close".*/\1/p' "$WORK/a.log")
tid=$(sed -n 's/.*"pid":\([0-9]*\),"tid":\([0-9]*\),.*"event":"double_close".*/\2/p' "$WORK/a.log")
[ -n "$pid" ] && [ "$pid" = "$tid" ] || fail "the record's pid $pid is not its process's (tid $tid)"
note "the record's pid is its process's ($pid)"
