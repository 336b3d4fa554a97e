# Issue 10, suspected: the linger thread was started when the first TCP
# socket was made (socket(), accept()), which makes a single-threaded
# program multithreaded before it ever closes anything: unshare(CLONE_NEWUSER)
# (and other calls that need a single thread) then fails with EINVAL.  It
# must start at the first close that needs it.
#
# Before the fix: "threads 2", "unshare -1 EINVAL" with SOCKSHIM_GRACEFUL=1.
. "$(dirname "$0")/../lib.sh"

out=$("$PROGS/linger_thread_start") || fail "bare: exit $?"
case $out in
*"unshare 0 -"*) ;;
*) skip "unshare(CLONE_NEWUSER) fails here even without the shim: $(echo "$out" | tail -n 1)" ;;
esac
[ "$(echo "$out" | head -n 1)" = "threads 1" ] || skip "the program is not single-threaded even without the shim: $out"

for graceful in 1 always; do
	out=$(SOCKSHIM_GRACEFUL=$graceful SOCKSHIM_LOG="$WORK/$graceful.log" timeout 20 env $SAN_VARS \
		LD_PRELOAD="$PRELOAD" "$PROGS/linger_thread_start") || fail "SOCKSHIM_GRACEFUL=$graceful: exit $?"
	[ "$out" = "$(printf 'threads 1\nunshare 0 -')" ] ||
		fail "SOCKSHIM_GRACEFUL=$graceful: $(echo $out) (bare: threads 1, unshare 0)"
	note "SOCKSHIM_GRACEFUL=$graceful: one thread after socket and accept, unshare(CLONE_NEWUSER) works"
done
