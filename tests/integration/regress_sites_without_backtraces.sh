# Regression: with SOCKSHIM_BACKTRACE=0 every record's site was the site of
# no frames (84222325cbf29ce4), in the library and the supervisor: the rate
# limit held one call site's records back for another's (one limit per
# event, not per site), and the report could not tell sites apart (found
# by the contract audit: "site: a stable id of the call site").  Now the
# library takes the few frames a site is made of all the same, and writes
# none of them.  tests/progs/two_sites: two sites, 25 close_error each.
# Before: "backtrace=0: 1 sites (      3 84222325cbf29ce4), 2 expected"
# (3 records in all, one suppressed count of 47).
. "$(dirname "$0")/../lib.sh"
for bt in 1 0; do
	log=$WORK/bt$bt.log
	env $SAN_VARS SOCKSHIM_BACKTRACE=$bt SOCKSHIM_RATE=3/60 SOCKSHIM_LOG="$log" LD_PRELOAD="$PRELOAD" \
		"$PROGS/two_sites" 25 || fail "backtrace=$bt: exit $?"
	sed -n 's/.*"event":"close_error".*"site":"\([0-9a-f]*\)".*/\1/p' "$log" | sort | uniq -c >"$WORK/sites$bt"
	n=$(wc -l <"$WORK/sites$bt")
	[ "$n" = 2 ] || fail "backtrace=$bt: $n sites ($(cat "$WORK/sites$bt")), 2 expected"
	grep -q '^ *3 ' "$WORK/sites$bt" && [ "$(grep -c '^ *3 ' "$WORK/sites$bt")" = 2 ] ||
		fail "backtrace=$bt: not 3 records a site: $(cat "$WORK/sites$bt")"
	held=$(grep '"event":"suppressed"' "$log" | sed -n 's/.*"count":\([0-9]*\).*/\1/p' | sort -n | tr '\n' ' ')
	[ "$held" = "22 22 " ] || fail "backtrace=$bt: suppressed counts '$held', 22 and 22 expected"
done
# the same sites either way, and no frames written without backtraces
awk '{ print $2 }' "$WORK/sites1" >"$WORK/ids1"
awk '{ print $2 }' "$WORK/sites0" >"$WORK/ids0"
cmp -s "$WORK/ids1" "$WORK/ids0" || fail "sites differ: $(cat "$WORK/ids1") against $(cat "$WORK/ids0")"
! grep -q '"backtrace"' "$WORK/bt0.log" || fail "backtrace=0: a record has frames"
note "two sites, 3 records and 22 suppressed each, with and without backtraces: $(tr '\n' ' ' <"$WORK/ids0")"
