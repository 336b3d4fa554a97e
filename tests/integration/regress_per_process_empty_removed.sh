# Regression: with a per-process log file (SOCKSHIM_LOG with %p), a process
# that has opened its file gives each child it forks a file of its own at
# the fork (so that a worker that drops its privileges can still log), and
# a child that never logged left that file empty: a forking server made
# one for each connection (1,521 empty files for 2,000 connections; found
# by a helper's sweep).  Now a process that ends with its file empty
# removes it (not when killed by a signal: nothing runs then).
#
# Before: "11 files".
. "$(dirname "$0")/../lib.sh"
out=$(SOCKSHIM_LOG="$WORK/log.%p" shim "$PROGS/fork_quiet_children" 10) || fail "exit $?: $out"
last=$(echo "$out" | sed -n 's/^last //p')
files=$(ls "$WORK" | grep -c '^log\.')
note "$files files"
[ "$files" = 2 ] || fail "$files files (the parent's and the last child's expected): $(ls "$WORK")"
[ -f "$WORK/log.$last" ] || fail "the last child's file is gone: $(ls "$WORK")"
check_log "$WORK/log.$last" --event close_error --count 1
for f in "$WORK"/log.*; do
	[ -s "$f" ] || fail "$f is empty"
done
