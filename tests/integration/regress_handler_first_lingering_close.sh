# A review finding, fixed in 708bd2b: in a multi-threaded program, a SIGALRM
# handler's close() of a connection with unread data (SOCKSHIM_GRACEFUL=1,
# async) is the first close that lingers, and it interrupts malloc or free
# (two threads allocate and free in a loop).  The shim must not start its
# linger thread there: pthread_create allocates (calloc), and the
# interrupted thread may hold the very arena lock it needs.  20 runs, each
# with the alarm at another moment: every run must end (timeout 10 s), exit
# 0, and its peer must see EOF (the close was graceful; bare: reset).
#
# Before the fix (b5c12e6): most runs hang (exit 124; 14 of 20 in one series:
# "124: 124: 124: 0:EOF 124: ..."), main thread stuck in
#   __lll_lock_wait_private(main_arena) <- calloc <- allocate_dtv <-
#   pthread_create <- start_thread (shim/linger.c) <- linger_async <-
#   linger_take <- close_path_close <- on_alarm
# and the test fails at the first hung run, which was run 1, 2 or 3 in
# six tries: "FAIL: run 3: exit 124 (124: hung): ".
. "$(dirname "$0")/../lib.sh"

# ThreadSanitizer defers a signal to its own safe points (an interceptor's
# entry), so the handler never runs inside malloc there.
case $FLAVOR in *thread*) skip "the handler never interrupts malloc under ThreadSanitizer (not in a $FLAVOR build)" ;; esac

out=$(timeout 10 "$PROGS/handler_first_lingering_close") || fail "bare: exit $?: $out"
[ "$out" = "done, the peer sees reset" ] || skip "bare, the close does not reset the connection here: $out"

for run in $(seq 20); do
	out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/$run.log" timeout 10 env $SAN_VARS \
		LD_PRELOAD="$PRELOAD" "$PROGS/handler_first_lingering_close" 2>&1)
	rc=$?
	[ $rc = 0 ] || fail "run $run: exit $rc (124: hung): $out"
	[ "$out" = "done, the peer sees EOF" ] || fail "run $run: $out (expected a graceful close: EOF)"
done
note "20 runs: the handler's lingering close never hung, every peer saw EOF"
