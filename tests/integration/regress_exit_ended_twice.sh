# _exit() from a signal handler that interrupts exit()'s own end of the
# process (a SIGTERM handler, a watchdog, while the exit lingers under
# SOCKSHIM_GRACEFUL=1): the shim ended the sockets a second time, a
# second "close" record of the same descriptor from the same process (and
# a second release of each counted socket's fork-tree count).  Now the
# process's end is done once: one close record per descriptor, and the
# handler's exit status, as bare.
. "$(dirname "$0")/../lib.sh"
SOCKSHIM_EVENTS=all SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=2000 SOCKSHIM_LOG="$WORK/ex.log" \
	timeout 20 env LD_PRELOAD="$PRELOAD" "$PROGS/exit_then_underscore_exit"
rc=$?
[ "$rc" = 3 ] || fail "the handler's _exit(3): exit $rc"
sleep 1 # (the forked peer's own records)
assert_closed_once "$WORK/ex.log"
