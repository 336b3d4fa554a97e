# Issue 14 (a forking server at the default level): every close keeps its
# backtrace for a later double_close.  A forked child's close is a call site
# its parent never unwound, so each child unwound it cold: it looked up
# rules and wrote them into the rule cache, and kept the capture in its
# table, each page written a copy-on-write (or zero-fill) fault, in every
# child, for nothing the next child could use.  Captures whose frames lie
# in modules never unloaded are now kept in memory shared across fork
# (unwind_share_across_fork), where the next child replays them.
#
# tests/progs/child_writes forks children that close a pipe at the same call
# site and counts the pages of the shim's rule cache and capture table each
# child wrote (/proc/self/pagemap: exclusively mapped).  The first child
# unwinds; from the second on, none writes a page there.  Before: 5 pages
# in every child.  Measured: 51 -> 44 page faults per connection of
# `bench fork-server` at the default level.
. "$(dirname "$0")/../lib.sh"
command -v nm >/dev/null || skip "nm (binutils) is not installed"
[ "$(uname -m)" = x86_64 ] || skip "the shim's own unwinder is x86_64's"

ranges=$(nm -S "$SHIM" | awk '$4 == "kept_traces" || $4 == "rule_cache" { printf "%s:%s ", $1, $2 }')
[ "$(echo "$ranges" | wc -w)" = 2 ] || skip "no symbols kept_traces and rule_cache in $SHIM (stripped?)"

for level in errors all; do
	# shellcheck disable=SC2086 # two ranges, two words
	out=$(SOCKSHIM_EVENTS=$level SOCKSHIM_LOG="$WORK/$level.log" shim "$PROGS/child_writes" 4 $ranges) ||
		fail "events=$level: child_writes exited $?: $out"
	[ "$(echo "$out" | grep -c '^child [1-4] wrote [0-9]*$')" = 4 ] ||
		fail "events=$level: unexpected output: $out"
	note "events=$level:" $out
	# the first child unwinds (and so shows that the count sees writes)
	echo "$out" | grep -q '^child 1 wrote [1-9]' ||
		fail "events=$level: the first child wrote no page of the unwinder's tables: $out"
	for i in 2 3 4; do
		echo "$out" | grep -q "^child $i wrote 0$" ||
			fail "events=$level: child $i unwound its parent's call site again: $out"
	done
done
