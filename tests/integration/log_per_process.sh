# SOCKSHIM_LOG with %p: one file per process, also across fork and exec; the
# file is created append-only, owner and group readable only.
. "$(dirname "$0")/../lib.sh"

out=$(cd "$WORK" && umask 022 && SOCKSHIM_LOG="$WORK/log.%p" shim "$PROGS/fork_exec" "$PROGS/events" double_close) ||
	fail "exit $?"
parent=$(ls "$WORK" | sed -n 's/^log\.//p' | sort -n | head -1)
child=$(echo "$out" | sed -n 's/^child //p')
[ -n "$child" ] && [ -f "$WORK/log.$child" ] || fail "no log for the child $child: $(ls "$WORK")"
[ "$(ls "$WORK" | grep -c '^log\.')" = 2 ] || fail "expected 2 files: $(ls "$WORK")"
[ "$parent" != "$child" ] || fail "one file only"
check_log "$WORK/log.$parent" --event double_close --backtrace-has double_closer_parent --count 1
# the child's file: its own double close before exec, and the exec'd
# program's after (same pid, same file)
check_log "$WORK/log.$child" --event double_close --backtrace-has double_closer_child --count 1
check_log "$WORK/log.$child" --event double_close --backtrace-has second_closer --count 1
check_log "$WORK/log.$child" --count 2
mode=$(stat -c %a "$WORK/log.$parent")
[ "$mode" = 640 ] || fail "log file mode $mode, expected 640"
note "parent and child files, child's pre- and post-exec records together, mode $mode"
