# A review finding, fixed in 72724e0: the shim must not take a noticeable
# part of a thread's stack.  glibc puts every library's static TLS at the
# top of a stack the program supplies (pthread_attr_setstack), and the shim
# kept its per-thread record buffers there.  On stacks of 16 KiB
# (PTHREAD_STACK_MIN) and 20 KiB, the thread function may lose at most 512
# bytes under the shim against bare; and a thread that uses 10 KiB of a
# 16 KiB stack (a guard page below) runs as it does bare.
#
# Before the fix (b5c12e6): 9408 bytes less on both sizes, then a segfault:
#   "FAIL: 16384 bytes: usable 2575 under the shim, 11983 bare (9408 less, at most 512)"
#   and with that check taken out: "20480-byte stack: 6671 bytes usable
#   under the shim, 16079 bare", "FAIL: 10 KiB of a 16 KiB stack: exit 139
#   under the shim (139: stack overflow)"
. "$(dirname "$0")/../lib.sh"

# Sanitizers put their own per-thread data and redzones on the stack.
no_sanitizer "the stack left to a thread of an instrumented build means nothing"

for size in 16384 20480; do
	out=$(timeout 20 "$PROGS/thread_stack_not_taken" usable $size) || fail "$size bare: exit $?"
	bare=${out#usable }
	[ "$out" = "usable $bare" ] || fail "$size bare: $out"
	out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/log" timeout 20 env LD_PRELOAD="$PRELOAD" \
		"$PROGS/thread_stack_not_taken" usable $size) || fail "$size: exit $? under the shim"
	usable=${out#usable }
	[ "$out" = "usable $usable" ] || fail "$size: $out"
	[ $((bare - usable)) -le 512 ] ||
		fail "$size bytes: usable $usable under the shim, $bare bare ($((bare - usable)) less, at most 512)"
	note "$size-byte stack: $usable bytes usable under the shim, $bare bare"
done

out=$(timeout 20 "$PROGS/thread_stack_not_taken" use 16384 10240) || fail "10 KiB of 16 KiB bare: exit $?"
out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/log" timeout 20 env LD_PRELOAD="$PRELOAD" \
	"$PROGS/thread_stack_not_taken" use 16384 10240 2>&1) ||
	fail "10 KiB of a 16 KiB stack: exit $? under the shim (139: stack overflow)"
[ "$out" = ok ] || fail "10 KiB of a 16 KiB stack: $out"
note "a thread using 10 KiB of a 16 KiB stack runs under the shim"
