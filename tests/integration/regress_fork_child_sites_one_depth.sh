# A forked child that closes at more call sites than a set of kept captures
# has ways (TRACE_WAYS, 4), all at one stack depth (dnsmasq's child closes
# five descriptors so): every capture starts at unwind_capture's pc, and
# the set was chosen by that pc and the stack pointer alone, so all of
# them fell in one set of the fork tree's table, each child's captures
# pushed out the others', and every child walked some of its closes cold
# again (callgrind: one to three of dnsmasq's five closes, in every child),
# writing pages of the rule cache and of its own capture table.  The set
# is now chosen by the program's call site too.
#
# tests/progs/child_writes with CHILD_WRITES_SITES: each child closes at six
# call sites of one depth and counts the pages of the shim's rule cache and
# capture table it wrote.  The first child unwinds; from the second on,
# none writes a page there.  Before: 8 to 14 pages in every child.
. "$(dirname "$0")/../lib.sh"
command -v nm >/dev/null || skip "nm (binutils) is not installed"
[ "$(uname -m)" = x86_64 ] || skip "the shim's own unwinder is x86_64's"

ranges=$(nm -S "$SHIM" | awk '$4 == "kept_traces" || $4 == "rule_cache" { printf "%s:%s ", $1, $2 }')
[ "$(echo "$ranges" | wc -w)" = 2 ] || skip "no symbols kept_traces and rule_cache in $SHIM (stripped?)"

# shellcheck disable=SC2086 # two ranges, two words
out=$(CHILD_WRITES_SITES=1 SOCKSHIM_LOG="$WORK/log" shim "$PROGS/child_writes" 5 $ranges) ||
	fail "child_writes exited $?: $out"
[ "$(echo "$out" | grep -c '^child [1-5] wrote [0-9]*$')" = 5 ] || fail "unexpected output: $out"
note $out
echo "$out" | grep -q '^child 1 wrote [1-9]' ||
	fail "the first child wrote no page of the unwinder's tables: $out"
for i in 2 3 4 5; do
	echo "$out" | grep -q "^child $i wrote 0$" ||
		fail "child $i unwound a call site an earlier child had: $out"
done
