# Review of issue 14 (finding 1): the shim's unwinder trusted every read
# within 64 MB above the stack pointer; at the top of a coroutine's stack
# (entered by a jump, not a call) the next rule put the CFA past the
# stack's end and the read hit the guard page: the host died of SIGSEGV in
# unwind_capture at close(-1).  Now stack memory is read only where the
# kernel said it can be (the readable range grows a page at a time), and a
# frame that cannot be followed goes to libunwind, which checks memory.
# Both patterns (a CFI trampoline, a function's first byte as the return
# address): the program goes on, the close_error record is written with
# the coroutine body's frame.
#
# Before (30c5a21): "tramp: exit 139", "exit: exit 139".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "a sanitizer runtime warns about the stack switch (and fakes stacks of its own)"

for mode in tramp exit; do
	out=$("$PROGS/coroutine_stack_top" "$mode") || fail "bare $mode: exit $?: $out"
	log=$WORK/$mode.log
	out=$(SOCKSHIM_LOG="$log" timeout 20 env $SAN_VARS LD_PRELOAD="$PRELOAD" \
		"$PROGS/coroutine_stack_top" "$mode" 2>&1)
	rc=$?
	[ $rc = 0 ] || fail "$mode: exit $rc: $out"
	[ "$out" = "close(-1) = -1: the program goes on" ] || fail "$mode: $out"
	check_log "$log" --event close_error --where fd=-1 --count 1
	[ -n "$SAN_VARS" ] || check_log "$log" --event close_error --backtrace-has coroutine_body --count 1
done
note "close(-1) on two kinds of coroutine stack: the program goes on, the record names the body"
