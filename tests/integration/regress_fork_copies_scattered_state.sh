# Issue 14 (a forking server): the shim's small state, written by every
# process, lay in its .bss between tables of megabytes written at one end
# only (the call buffers, the descriptor table's chunk pointers, the
# private descriptors, the JVM agent's table), so the pages it wrote were
# spread over five or six 2 MiB regions.  Each such region has a page-table
# page that every fork copies and every exit frees, about 4 µs each on the
# CI machine.  The big tables now follow .bss in an order that puts their
# written ends next to each other (include/coldmem.h, shim/cold.ld).
#
# After a forking server's 40 connections, the pages of the shim's
# writable memory fit in two 2 MiB spans, at each level.
# Before: "spans 5 pages 38" (default), 4 (events=none), 5 (events=all).
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the sanitizers' redzones change the layout"
readelf -SW "$SHIM" | grep -q '\.lbss\.sockshim' ||
	skip "this build keeps the big tables in .bss (include/coldmem.h)"

for level in errors none all; do
	out=$(SOCKSHIM_EVENTS=$level SOCKSHIM_LOG="$WORK/$level.log" shim "$PROGS/written_spans" 40) ||
		fail "events=$level: written_spans exited $?: $out"
	spans=$(echo "$out" | sed -n 's/^spans \([0-9]*\) pages [0-9]*$/\1/p')
	[ -n "$spans" ] || fail "events=$level: unexpected output '$out'"
	[ "$spans" -le 2 ] || fail "events=$level: the shim's written pages need $spans spans of 2 MiB ($out)"
	note "events=$level: $out"
done
