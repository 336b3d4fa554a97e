# Issue 14 (a forking server at the default level): a forking server's
# parent closes its copy of each connection right after the fork, usually
# before the child has read the request.  With bytes unread, the close
# keeps a question for the kernel (was it the last reference?) and the
# record it may need, and kept them in one of the call pool's buffer sets
# (call.h): claiming the set wrote its flag's page and the set's, two
# copy-on-write faults in the parent at every connection while the child
# shares those pages.  They are now kept on the stack where it has room,
# and in a set only on a small signal stack.
#
# tests/progs/fork_parent_close: the parent's close of a connection its
# live child still holds, with the request unread; how many pages of the
# call pool that close wrote (/proc/self/pagemap), and the child's answer
# whole at the client (nothing was reset).  Before: "round N: the close
# wrote 1" in every round.
. "$(dirname "$0")/../lib.sh"
command -v nm >/dev/null || skip "nm (binutils) is not installed"
no_sanitizer "the sanitizers' allocations change what a process writes"

# call.c's pool of buffer sets: the larger of the shim's two tables named
# pool (langtrace.c's holds a few frames' text)
range=$(nm -S "$SHIM" | awk '$4 == "pool" { print $2, $1 }' | sort | tail -1 | awk '{ printf "%s:%s", $2, $1 }')
[ -n "$range" ] || skip "no symbol pool in $SHIM (stripped?)"

# (at the default level: a close at events=all makes a record, which
# takes a set)
out=$(SOCKSHIM_LOG="$WORK/log" LD_PRELOAD="$PRELOAD" "$PROGS/fork_parent_close" 5 "$range") ||
	fail "fork_parent_close exited $?: $out"
[ "$(echo "$out" | grep -c '^client [1-5] got 64 bytes$')" = 5 ] ||
	fail "a client did not get its whole answer: $out"
[ "$(echo "$out" | grep -c '^round [1-5]: the close wrote 0$')" = 5 ] ||
	fail "the parent's close of a connection its child holds wrote the call pool: $(echo "$out" | grep round | tr '\n' ' ')"
note $(echo "$out" | grep round | tr '\n' ' ')
! grep -q '"event":"close_rst"' "$WORK/log" || fail "a close_rst for a connection the child answered: $(cat "$WORK/log")"
