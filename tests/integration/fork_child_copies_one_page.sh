# Issue 14 (a forking server): each page of the shim's memory that a forked
# child writes is a copy-on-write fault, a few µs each on the CI machine.
# The state a child writes (its pid, its ring of closes and the buffer sets
# its calls take) lay on four pages of .data and .bss (the ring's pointer,
# the ring's header, the pid, a slot of the ring); it now lies on the one
# page that .data shares with the start of .bss, which the child writes
# anyway when it exits (include/coldmem.h, shim/cold.ld), and a child's
# closes start at the ring's first slots, on that page.
#
# The child of a forking server's last connection (it reads, answers,
# closes and exits) counts the pages of the shim's writable memory that it
# holds alone, its parent waiting (tests/progs/written_spans.c, child).
# Before: "child pages 4" at the default level.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the sanitizers' redzones change the layout"
readelf -SW "$SHIM" | grep -q '\.bss\.sockshim\.forkhot' ||
	skip "this build keeps that state in .bss as it comes (include/coldmem.h)"

for level in errors none; do
	out=$(SOCKSHIM_EVENTS=$level SOCKSHIM_LOG="$WORK/$level.log" shim "$PROGS/written_spans" 40 0 child) ||
		fail "events=$level: written_spans exited $?: $out"
	pages=$(echo "$out" | sed -n 's/^child pages \([0-9]*\)$/\1/p')
	[ -n "$pages" ] || fail "events=$level: unexpected output '$out'"
	[ "$pages" -le 1 ] || fail "events=$level: the child copied $pages pages of the shim's memory"
	note "events=$level: child pages $pages"
done
