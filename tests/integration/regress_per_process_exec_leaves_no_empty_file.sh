# Regression: with a per-process log file (SOCKSHIM_LOG with %p), a forked
# child gets its file at the fork (regress_per_process_empty_removed); one
# that execs at once (a CGI-style server's child, a shell's) took it into
# the exec unwritten and, with the exec'd program logging nothing, left it
# empty: one empty file per request (found by a helper's sweep).  Now an
# empty file is removed before the exec; if the exec fails, the next
# record makes it again.
# Before: "2 files (only the parent's expected)".
. "$(dirname "$0")/../lib.sh"
out=$(SOCKSHIM_LOG="$WORK/log.%p" shim "$PROGS/fork_exec" -q /bin/true) || fail "exit $?: $out"
child=$(echo "$out" | sed -n 's/^child //p')
files=$(ls "$WORK" | grep -c '^log\.')
[ "$files" = 1 ] || fail "$files files (only the parent's expected): $(ls "$WORK")"
[ ! -e "$WORK/log.$child" ] || fail "the child's file is there: $(ls "$WORK")"
check_log "$WORK"/log.* --event double_close --backtrace-has double_closer_parent --count 1
note "fork and exec of /bin/true: $files file, the parent's"
# the exec fails: the child's record after it is in its file, made again
rm -f "$WORK"/log.*
out=$(SOCKSHIM_LOG="$WORK/log.%p" shim "$PROGS/fork_exec" -q "$WORK/no-such-program")
rc=$?
[ "$rc" = 127 ] || fail "failed exec: exit $rc, not 127: $out"
child=$(echo "$out" | sed -n 's/^child //p')
[ -f "$WORK/log.$child" ] || fail "failed exec: no file for the child $child: $(ls "$WORK")"
check_log "$WORK/log.$child" --event double_close --backtrace-has double_closer_child --count 1
note "failed exec: the child's record in its own file"
