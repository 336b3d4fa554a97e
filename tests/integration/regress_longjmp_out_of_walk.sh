# A review finding in 39ff056 (the per-record walk of the loader's list no
# longer made with signals blocked; a thread-local flag marks this thread's
# walk instead): a timer signal whose handler siglongjmps out of a close()
# being recorded (the timeout pattern of old servers, as in
# regress_longjmp_out_of_close) and that comes during the record's walk
# (tests/progs/longjmp_out_of_walk makes it come there: its dl_iterate_phdr
# raises SIGALRM from inside the real walk)
#  - unmasked: jumped out of glibc's dl_iterate_phdr with its lock held, so
#    another thread's walk (dlopen, libunwind, a C++ throw's) hung for ever:
#    "other thread: HUNG" before the fix;
#  - langtrace's walk (signals blocked, the handler running as the mask is
#    restored): the flag was left set, so every later record of that thread
#    had no module or symbol in its frames (bad_closer not named).
# Before 39ff056 neither (the walk made with every signal blocked, the flag
# did not exist).
. "$(dirname "$0")/../lib.sh"

for mode in unmasked langtrace; do
	log="$WORK/$mode.log"
	out=$(SOCKSHIM_LOG="$log" timeout 20 env $SAN_VARS LD_PRELOAD="$PRELOAD" \
		"$PROGS/longjmp_out_of_walk" $mode 2>&1) || fail "$mode: exit $?: $out"
	case $out in
	*"other thread: walked"*) ;;
	*) fail "$mode: $(echo $out) (expected the other thread's walk to return)" ;;
	esac
	# the second close(-1), after the jump: its record names the program's frames
	check_log "$log" --event close_error --where fd=-1 --at-least 1
	[ -n "$SAN_VARS" ] || check_log "$log" --event close_error --backtrace-has bad_closer --at-least 1
	note "$mode: $(echo $out); the record after the jump names bad_closer"
done
