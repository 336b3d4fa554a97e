# At SOCKSHIM_EVENTS=none (graceful off, no SO_REUSE* forced) a close is
# the real close alone and the descriptor table keeps what it last knew of
# the number (config closes_untracked).  fclose() read that entry: a file
# opened on a number that had held a socket was taken for the socket, and
# the stream flushed before its close.  fflush() of an input stream seeks
# the file back to what the stream consumed, which glibc's fclose() does
# not: the file offset a dup (or a parent, a next process) shares moved.
# Before: "events=none: offset 1 (bare: 100)".
. "$(dirname "$0")/../lib.sh"

head -c 100 /dev/zero | tr '\0' x >"$WORK/file"
bare=$("$PROGS/stale_fclose" "$WORK/file") || fail "bare: exit $?"
[ "$bare" = 100 ] || fail "bare: offset $bare"
for level in none errors; do
	out=$(SOCKSHIM_EVENTS=$level SOCKSHIM_LOG="$WORK/$level.log" shim "$PROGS/stale_fclose" "$WORK/file") ||
		fail "events=$level: exit $?"
	[ "$out" = "$bare" ] || fail "events=$level: offset $out (bare: $bare)"
	note "events=$level: offset $out, as bare"
done
