# Regression test for defect 3 of issue 10: what the shim keeps for a
# number must follow what happened to it, also when two threads race to
# close it or the program closes it behind the shim's back.
#
#  race   20000 rounds of two threads closing one socket at once: every
#         EBADF is a double_close record, none is a close_error.
#  reuse  a socket closed with a raw system call, its number reused by
#         open("/dev/null") and closed: no close_pending_error, no close_rst.
#  scm    under SOCKSHIM_GRACEFUL=1, a connection that another process
#         still holds arrives through SCM_RIGHTS at the number of a socket
#         closed behind the shim's back; closing it takes nothing from the
#         other holder: the peer gets the sender's data afterwards, as bare.
#
# Before the fix (main at 331749f), each part failed, and the test with
# exit 1, "FAIL: failed: race reuse scm":
#  race   "72 records match (--event close_error --count 0), expected 0":
#         72 to 184 close_error records (EBADF, with the socket's family
#         and type) per run of 20000 rounds, every run; as many fewer
#         double_close (also 7 to 14 close_pending_error "errno":"EBADF",
#         not asserted here)
#  reuse  "1 records match (--event close_pending_error --count 0)": a
#         close_pending_error "errno":"ENOTSOCK" for /dev/null
#  scm    "FAIL: scm: exit 1": "sender: write after the receiver's close:
#         Broken pipe", "peer: EOF instead of the sender's data" (the shim
#         shut the connection down)
. "$(dirname "$0")/../lib.sh"
[ "$(uname -m)" = x86_64 ] || skip "the programs close behind the shim's back with an x86_64 system call"

P="$PROGS/double_close_race"

# race: both threads pass a barrier and close(); the kernel lets one win.
race() {
	SOCKSHIM_LOG="$WORK/race.log" timeout 60 env $SAN_VARS LD_PRELOAD="$PRELOAD" "$P" race 20000 \
		>"$WORK/race.out" 2>&1 || { rc=$?; cat "$WORK/race.out"; fail "race: exit $rc"; }
	ebadf=$(sed -n 's/.* \([0-9]*\) failed with EBADF.*/\1/p' "$WORK/race.out")
	[ -n "$ebadf" ] || fail "race: $(cat "$WORK/race.out")"
	check_log "$WORK/race.log" --event close_error --count 0
	check_log "$WORK/race.log" --event double_close --where errno=EBADF --count "$ebadf"
	note "$(cat "$WORK/race.out"); $ebadf double_close records, no close_error"
}

# reuse: the close of /dev/null is not the close of the old socket.
reuse() {
	"$P" reuse >"$WORK/reuse.bare" 2>&1 || { rc=$?; cat "$WORK/reuse.bare"; fail "reuse bare: exit $rc"; }
	SOCKSHIM_LOG="$WORK/reuse.log" env $SAN_VARS LD_PRELOAD="$PRELOAD" "$P" reuse >"$WORK/reuse.out" 2>&1 ||
		{ rc=$?; cat "$WORK/reuse.out"; fail "reuse: exit $rc"; }
	cmp -s "$WORK/reuse.bare" "$WORK/reuse.out" || fail "reuse: $(cat "$WORK/reuse.out")"
	touch "$WORK/reuse.log"
	check_log "$WORK/reuse.log" --event close_pending_error --count 0
	check_log "$WORK/reuse.log" --event close_rst --count 0
	note "$(cat "$WORK/reuse.out"): no record"
}

# scm: bare, the receiver's close leaves the sender's connection alone.
scm() {
	timeout 20 "$P" scm >"$WORK/scm.bare" 2>&1 || { rc=$?; cat "$WORK/scm.bare"; fail "scm bare: exit $rc"; }
	SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=200 SOCKSHIM_LOG="$WORK/scm.log" \
		timeout 20 env $SAN_VARS LD_PRELOAD="$PRELOAD" "$P" scm >"$WORK/scm.out" 2>&1 ||
		{ rc=$?; cat "$WORK/scm.out"; fail "scm: exit $rc"; }
	cmp -s "$WORK/scm.bare" "$WORK/scm.out" || { diff "$WORK/scm.bare" "$WORK/scm.out"; fail "scm: differs from bare"; }
	note "scm: $(tail -1 "$WORK/scm.out")"
}

# Each part runs (in a subshell, where fail ends only that part), so that
# one run shows every part that fails.
failed=""
for part in race reuse scm; do
	($part) || failed="$failed $part"
done
[ -z "$failed" ] || fail "failed:$failed"
