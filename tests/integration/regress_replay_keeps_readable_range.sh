# Review of a8e03f9 (a capture's set chosen by the program's call site,
# call_site_of): to find the call site, the shim's own frame pointers are
# followed before any replay, and the readable stack grows as they ask
# (process_vm_readv, a page at a time); a replay that then needed no more
# returned without keeping what was learnt, so on a stack other than the
# one the thread last kept (back on the main stack after a coroutine's
# record) every replayed record asked the kernel again: one
# process_vm_readv per record for good.  Seen where a capture reads no
# further than the shim's frames (SOCKSHIM_BACKTRACE_DEPTH=1).
#
# tests/progs/replay_after_stack_switch: 32 alignments of the main stack,
# each with 52 double closes (3 closes, each captured; by
# syscall(SYS_close), which passes no call site: close() passes its own
# since 9c3bc45, and its captures do not follow the frame pointers first).  Before the fix:
# 755 calls (one per capture at several alignments); after: 6, as before
# a8e03f9.
. "$(dirname "$0")/../lib.sh"
command -v strace >/dev/null || skip "strace is not installed"
[ -n "$SAN_VARS" ] && skip "(no backtraces under $FLAVOR)"
[ "$(uname -m)" = x86_64 ] || skip "the shim's own unwinder is x86_64's"

SOCKSHIM_BACKTRACE_DEPTH=1 SOCKSHIM_LOG="$WORK/log" strace -f -qq -e trace=process_vm_readv \
	-o "$WORK/strace.out" env LD_PRELOAD="$PRELOAD" "$PROGS/replay_after_stack_switch" \
	>"$WORK/out" 2>&1 || fail "replay_after_stack_switch: exit $?: $(cat "$WORK/out")"
assert_grep "$WORK/out" '^ok$'
check_log "$WORK/log" --event double_close --count 1664
asks=$(grep -c 'process_vm_readv' "$WORK/strace.out")
[ "$asks" -lt 100 ] || fail "$asks process_vm_readv calls for 1664 double closes (32 alignments)"
note "$asks process_vm_readv calls for 1664 double closes"
