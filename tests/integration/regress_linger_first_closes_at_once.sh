# Regression: under SOCKSHIM_GRACEFUL=1 (async), when several threads made
# a process's first lingering closes at the same moment, only one was
# lingered: the others found the background thread being started by the
# first, took that for a failure, wrote a false graceful_skipped ("the
# background thread could not be started") and closed at once; their
# clients, still sending, were reset.  gunicorn's gthread workers did so
# (found by a helper's sweep).  tests/progs/first_lingers_at_once: 4
# threads, 4 closes at once, 5 runs.
# Before: "15 of 20 clients reset, 15 graceful_skipped records".
. "$(dirname "$0")/../lib.sh"
resets=0
for i in 1 2 3 4 5; do
	out=$(env SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=1000 SOCKSHIM_LOG="$WORK/log" $SAN_VARS \
		LD_PRELOAD="$PRELOAD" "$PROGS/first_lingers_at_once") || fail "run $i: exit $?"
	resets=$((resets + ${out#resets }))
done
skipped=$(count_events "$WORK/log" graceful_skipped)
[ "$resets" = 0 ] && [ "$skipped" = 0 ] || fail "$resets of 20 clients reset, $skipped graceful_skipped records"
note "20 first closes at once, all lingered"
