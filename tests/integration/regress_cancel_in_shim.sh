# tsan: yes
# Issue 10, defect 2: what the shim does on its own account inside an
# interposed call (its log write, the log file's open, libunwind's pipe)
# must not turn the call into a cancellation point.  A worker with a
# cancellation pending calls shutdown(), which glibc never cancels in, while
# holding a mutex without a cleanup handler: bare, it unlocks and ends at
# pthread_testcancel(); so must it under the shim, and its record must be
# in the log.
#
# Before the fix:
#   shutdown, events=all:  "the cancelled worker left the mutex locked", exit 1,
#                          no shutdown record (the thread died in the shim's write)
#   log_open, backtraces:  the same message, exit 1, 3 of 4 shutdown_error
#                          records (the worker died in libunwind's pipe I/O)
#   log_open, SOCKSHIM_BACKTRACE=0: the message, then exit 124 (timeout):
#                          the worker died in the log file's open(), which
#                          stays "opening", and main's next record spins forever
#   (in the address,undefined build, shutdown/events=all ends in exit 97: ASan's
#   stack-buffer-overflow report in AsanThread::Destroy, after the thread was
#   unwound out of the shim's frames; bare, nothing)
. "$(dirname "$0")/../lib.sh"

for mode in shutdown log_open; do
	out=$(timeout 20 "$PROGS/cancel_in_shim" $mode 2>&1) || fail "$mode bare: exit $?: $out"
	[ "$out" = ok ] || fail "$mode bare: $out"
done

# run NAME MODE [VAR=VALUE...]: the program under the shim, log in $WORK/NAME.log
run() {
	name=$1 mode=$2
	shift 2
	out=$(env SOCKSHIM_LOG="$WORK/$name.log" "$@" $SAN_VARS timeout 20 env LD_PRELOAD="$PRELOAD" \
		"$PROGS/cancel_in_shim" "$mode" 2>&1)
	rc=$?
	[ $rc = 0 ] && [ "$out" = ok ] || fail "$name: exit $rc (124: hung): $out"
}

all_features="SOCKSHIM_EVENTS=all SOCKSHIM_GRACEFUL=1 SOCKSHIM_REUSEADDR=1 SOCKSHIM_REUSEPORT=1"
for variant in events_all all_features all_features_sync; do
	case $variant in
	events_all) run $variant shutdown SOCKSHIM_EVENTS=all ;;
	all_features) run $variant shutdown $all_features ;;
	all_features_sync) run $variant shutdown $all_features SOCKSHIM_LINGER_MODE=sync ;;
	esac
	log="$WORK/$variant.log"
	check_log "$log" --event shutdown --count 1
	check_log "$log" --event socket --count 2
	check_log "$log" --event accept --count 1
	check_log "$log" --event close --count 3
	note "shutdown, $variant: the worker unlocked, its shutdown record is there"
done

# The first record opens the log file: a cancellation pending in the thread
# that writes it (with and without a backtrace to take first).
for bt in 1 0; do
	run "log_open_bt$bt" log_open SOCKSHIM_BACKTRACE=$bt
	check_log "$WORK/log_open_bt$bt.log" --event shutdown_error --where fd=-1 --count 4
	check_log "$WORK/log_open_bt$bt.log" --count 4
	note "log_open, SOCKSHIM_BACKTRACE=$bt: the worker's record and main's three are in the log"
done
