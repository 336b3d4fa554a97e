# Issue 14 (a forking server at the default level): every close keeps the
# innermost frames of its backtrace in the close history, for a later
# double_close.  They were unwound into one of the call pool's buffer sets
# (call.h), so each close that made no record at all still wrote a page of
# the pool: after a fork, a copy-on-write fault in the parent and in every
# child.  They are now unwound into a buffer on the stack where it has
# room (call_backtrace_to_history), and a set is claimed only by a call
# that makes a record.
#
# tests/progs/child_writes forks children that close a pipe's two ends and
# counts the pages of the call pool each child wrote (/proc/self/pagemap:
# exclusively mapped): none.  A child that also closes an end twice makes
# a double_close record, and writes the pool (the count sees writes).
# Before (main at dbed6fa): "child N wrote 1" in every child, at every
# level.  Measured: 44.42 -> 43.42 page faults per connection of
# `bench fork-server 400` at the default level (perf stat, three runs).
. "$(dirname "$0")/../lib.sh"
command -v nm >/dev/null || skip "nm (binutils) is not installed"
no_sanitizer "the sanitizers' allocations change what a child writes"

# call.c's pool of buffer sets: the larger of the shim's two tables named
# pool (langtrace.c's holds a few frames' text)
range=$(nm -S "$SHIM" | awk '$4 == "pool" { print $2, $1 }' | sort | tail -1 | awk '{ printf "%s:%s", $2, $1 }')
[ -n "$range" ] || skip "no symbol pool in $SHIM (stripped?)"

for level in errors all; do
	out=$(SOCKSHIM_EVENTS=$level SOCKSHIM_LOG="$WORK/$level.log" shim "$PROGS/child_writes" 3 "$range") ||
		fail "events=$level: child_writes exited $?: $out"
	[ "$(echo "$out" | grep -c '^child [1-3] wrote 0$')" = 3 ] ||
		fail "events=$level: a close that made no record wrote the call pool: $out"
	note "events=$level:" $out
	out=$(CHILD_WRITES_DOUBLE_CLOSE=1 SOCKSHIM_EVENTS=$level SOCKSHIM_LOG="$WORK/$level-double.log" \
		shim "$PROGS/child_writes" 3 "$range") || fail "events=$level, double close: exited $?: $out"
	[ "$(echo "$out" | grep -c '^child [1-3] wrote [1-9][0-9]*$')" = 3 ] ||
		fail "events=$level: a double close's record wrote no page of the call pool: $out"
	check_log "$WORK/$level-double.log" --event double_close --count 3
	note "events=$level, with a double close:" $out
done
