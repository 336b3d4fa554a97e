# A review finding, fixed in 708bd2b: at the usual RLIMIT_NOFILE of 1024 the
# background's capacity (a quarter: 256) must really be there.  200 slow
# clients (tests/progs/linger_capacity.c: they keep sending after the
# answer) and SOCKSHIM_GRACEFUL=1, async, SOCKSHIM_LINGER_MS=1500: all 200
# closes go to the background and time out there (200 graceful_timeout
# records with "mode":"async", no graceful_skipped), both with the log on
# stderr (a file here) and in a SOCKSHIM_LOG file that does not exist yet:
# the shim creates it, and the records are in it.
#
# Before the fix (b5c12e6): the shim's private copies were taken only at
# 960 and above (F_DUPFD from its high base), 64 numbers below 1024, a few
# of them its own already:
#   stderr: "141 records match (--event graceful_skipped --where pid=N
#           --count 0), expected 0": 59 graceful_timeout, then 141
#           graceful_skipped "reason":"no descriptor left for the background"
#   SOCKSHIM_LOG=FILE (that case alone): the file was created and stayed
#           empty (it is opened at the first record, when the background
#           held every number from 960 up): "0 records match
#           (--event graceful_timeout --where mode=async --count 200),
#           expected 200"
# serial: yes
# (run alone: 200 clients must keep sending for the whole linger time;
# another test's load beside it once kept some from it)
. "$(dirname "$0")/../lib.sh"

[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 1024 ] ||
	skip "RLIMIT_NOFILE's hard limit is $(ulimit -Hn) here, below 1024"
ulimit -n 1024 || fail "ulimit -n 1024"

# run NAME [VAR=VALUE...]: 200 connections under the shim; $pid is the server's
run() {
	name=$1
	shift
	env SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=1500 "$@" timeout 25 env $SAN_VARS LD_PRELOAD="$PRELOAD" \
		"$PROGS/linger_capacity" 200 >"$WORK/$name.out" 2>"$WORK/$name.err" ||
		{ rc=$?; cat "$WORK/$name.out" "$WORK/$name.err"; fail "$name: exit $rc"; }
	assert_grep "$WORK/$name.out" "^clients: 200 of 200 got the whole answer and EOF"
	pid=$(sed -n 's/^server: pid \([0-9]*\)$/\1/p' "$WORK/$name.out")
}

# The log on stderr (a regular file): the server's records among the clients'.
run stderr
check_log "$WORK/stderr.err" --event graceful_skipped --where pid=$pid --count 0
check_log "$WORK/stderr.err" --event graceful_timeout --where pid=$pid --where mode=async --count 200
check_log "$WORK/stderr.err" --where pid=$pid --where mode=sync --count 0
note "stderr: 200 graceful_timeout records, all \"mode\":\"async\", no graceful_skipped"

# A log file that does not exist yet (one per process: %p).
run file SOCKSHIM_LOG="$WORK/log.%p"
[ -f "$WORK/log.$pid" ] || fail "file: the shim did not create $WORK/log.$pid"
check_log "$WORK/log.$pid" --event graceful_skipped --count 0
check_log "$WORK/log.$pid" --event graceful_timeout --where mode=async --count 200
check_log "$WORK/log.$pid" --where mode=sync --count 0
note "SOCKSHIM_LOG=FILE: created, 200 graceful_timeout records, all \"mode\":\"async\", no graceful_skipped"
