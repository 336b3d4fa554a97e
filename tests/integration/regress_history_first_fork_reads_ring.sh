# A process's close history moves into shared memory at its first fork
# (close_history.c), copying the slots the process wrote.  A process that
# had closed nothing before that fork (a server whose first close comes
# after its first accept and fork) took "the last 4096 ids" for the slots
# to copy, read the whole private ring, and so mapped all 73 of its pages,
# which every later fork then copied: the very cost the move removes.
# After a forking server's 40 connections the shim's private writable
# memory must hold fewer pages than the ring alone has (73), also for a
# daemon (a child forked before it serves).
#
# Before: "pages 103" (server), 103 (daemon); now about 31.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the sanitizers' redzones change the layout"

for how in "" daemon; do
	out=$(SOCKSHIM_LOG="$WORK/spans.log" shim "$PROGS/written_spans" 40 0 $how) ||
		fail "written_spans 40 0 $how exited $?: $out"
	pages=$(echo "$out" | sed -n 's/^spans [0-9]* pages \([0-9]*\)$/\1/p')
	[ -n "$pages" ] || fail "unexpected output '$out'"
	note "${how:-server}: $out"
	[ "$pages" -lt 73 ] || fail "${how:-server}: $pages pages of the shim's private memory, as many as the whole close history"
done
