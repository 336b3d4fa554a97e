# Issue 14 (a forking server): the close history (the frames of the last
# 4096 closes, 288 KiB) lies in memory the fork tree shares, so that the
# pages a long-running process has filled are neither copied at each fork
# nor dropped at each child's exit (close_history.c).  4200 more closes
# (2100 pipes) after a forking server's 40 connections leave the pages of
# the shim's own (private) writable memory as they were, give or take a
# few: in a private ring they had grown by about 70.  The same for a
# server that forked once before it serves, as a daemon does.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the sanitizers' redzones change the layout"

# pages PIPES [daemon]
pages() {
	local out
	out=$(SOCKSHIM_LOG="$WORK/spans.log" shim "$PROGS/written_spans" 40 "$@") ||
		fail "written_spans 40 $* exited $?: $out"
	echo "$out" | sed -n 's/^spans [0-9]* pages \([0-9]*\)$/\1/p'
}
# (daemon: the server is a child forked first, whose ring is private
# until its own first fork)
for how in "" daemon; do
	before=$(pages 0 $how)
	after=$(pages 2100 $how)
	[ -n "$before" ] && [ -n "$after" ] || fail "unexpected output of written_spans ${how}"
	note "${how:-server}: pages of the shim's private writable memory: $before, after 4200 more closes $after"
	[ $((after - before)) -le 8 ] || fail "${how:-server}: 4200 closes wrote $((after - before)) more private pages"
done
