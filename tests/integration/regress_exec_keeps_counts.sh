# Regression: an exec lost the rate limiter's counts of suppressed records
# (a helper's sweep: 100 double closes, then execv: 10 records, no
# suppressed record, where the supervisor wrote 10 + suppressed 90), and the
# report's totals were short by what the last window held back.  Daemons
# that re-exec themselves to reload (haproxy's master, nginx's upgrade) and
# wrappers that exec do that.  Now the exec family is interposed, and the
# counts go out before the exec; an exec that fails returns as bare
# (errno kept) and the counts go on.
# Before: "exec: 10 written + 0 suppressed of 100".
. "$(dirname "$0")/../lib.sh"
N=100

# run NAME EXPECTED PROG: exec_after_closes counts under the shim, rate 10/60
run() {
	name=$1 expected=$2 prog=$3
	log="$WORK/$name.log"
	env SOCKSHIM_RATE=10/60 SOCKSHIM_LOG="$log" $SAN_VARS LD_PRELOAD="$PRELOAD" \
		"$PROGS/exec_after_closes" counts "$N" "$prog" >"$WORK/$name.out" 2>&1 ||
		{ rc=$?; cat "$WORK/$name.out"; fail "$name: exit $rc"; }
	python3 - "$log" "$expected" "$name" <<'PY' || fail "$name: counts"
import json, sys
written = suppressed = 0
for line in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(line)
    if r["event"] == "double_close":
        written += 1
    elif r["event"] == "suppressed" and r.get("suppressed_event") == "double_close":
        suppressed += r["count"]
expected = int(sys.argv[2])
print(f"  {sys.argv[3]}: {written} written + {suppressed} suppressed of {expected}")
if written + suppressed != expected or written > 20:
    sys.exit(f"{sys.argv[3]}: {written} written + {suppressed} suppressed of {expected}")
PY
}

run exec "$N" /bin/true
# an exec that fails: errno as bare, and the 100 closes after it counted too
run failed "$((2 * N))" "$WORK/no-such-program"
assert_grep "$WORK/failed.out" '^exec failed: ENOENT$'
