# _exit() from a signal handler that interrupts the program's own close()
# of a connection (lingering in it under SOCKSHIM_LINGER_MODE=sync): the
# close had claimed the number (it looks closed), and the exit's walk of
# /proc/self/fd learned it again as an unseen socket and ended it a second
# time: a second "close" record of the same descriptor, a second
# lingering.  Now the interrupted close keeps it: one record per
# descriptor, and the handler's exit status.
. "$(dirname "$0")/../lib.sh"
SOCKSHIM_EVENTS=all SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MODE=sync SOCKSHIM_LINGER_MS=2000 \
	SOCKSHIM_LOG="$WORK/cl.log" timeout 20 env LD_PRELOAD="$PRELOAD" \
	"$PROGS/exit_then_underscore_exit" close
rc=$?
[ "$rc" = 3 ] || fail "the handler's _exit(3): exit $rc"
sleep 1 # (the forked peer's own records)
assert_closed_once "$WORK/cl.log"
