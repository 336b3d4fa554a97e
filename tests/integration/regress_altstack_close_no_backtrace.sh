# regress_altstack_close with backtraces off (SOCKSHIM_BACKTRACE=0, the
# launcher's --no-backtrace): a signal handler on a small alternate stack
# closes a socket with unread data (close_rst) and a number already closed
# (double_close); the shim may add at most 1 KiB (+128 bytes of slack) to
# the deepest byte the handler reaches bare, and may not crash.
#
# The close of a number the table has as no socket took the short path
# (close_path.c, close_brief) on such a stack whenever there was nothing
# to unwind: its record was made under that path's own frame, deeper than
# the full path's.  Before the fix: exit 139 (SIGSEGV on the guard page)
# at 4096 bytes after the close_rst record, "used 4152" at 8192 (bare:
# 3016; c994562: 4072 at every size).
. "$(dirname "$0")/../lib.sh"

no_sanitizer "the stack depth of an instrumented build means nothing"

for mode in plain shared; do
for size in 4096 6144 8192; do
	out=$(timeout 20 "$PROGS/altstack_close" "$size" $mode) || fail "$mode $size bare: exit $?"
	bare=${out#used }
	[ "$out" = "used $bare" ] || fail "$mode $size bare: $out"
	for level in errors all; do
		log="$WORK/$mode.$size.$level.log"
		out=$(SOCKSHIM_BACKTRACE=0 SOCKSHIM_LOG="$log" SOCKSHIM_EVENTS=$level timeout 20 \
			env LD_PRELOAD="$PRELOAD" "$PROGS/altstack_close" "$size" $mode) ||
			fail "$mode $size events=$level: exit $? under the shim (bare: used $bare)"
		used=${out#used }
		[ "$out" = "used $used" ] || fail "$mode $size events=$level: $out"
		check_log "$log" --event close_rst --where reason=unread_data --count 1
		check_log "$log" --event double_close --count 1
		note "$mode, $size bytes, events=$level: used $used under the shim, $bare bare (+$((used - bare)))"
		[ $((used - bare)) -le $((1024 + 128)) ] ||
			fail "$mode $size events=$level: the shim adds $((used - bare)) bytes of stack (at most 1152)"
	done
done
done
