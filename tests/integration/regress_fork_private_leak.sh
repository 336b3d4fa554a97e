# A fork while the background releases or moves a private descriptor:
# privfd_before_fork waited for changes in progress but let new ones start
# before the fork was made, so a release could mark its slot busy and the
# child kept the copy, unregistered.  Now changes are held back until the
# fork is made.  The program forks 2400 times while 200 sockets time out
# in the background (LINGER_MS=300); each child counts the sockets it holds
# at the shim's numbers.
# Before the fix: "2400 forks, 6 children held a lingering socket of the
# parent's background" (2 to 12 per run).
. "$(dirname "$0")/../lib.sh"
no_sanitizer "a timing window; the sanitizers slow it out of reach"

for run in 1 2 3; do
	out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=300 SOCKSHIM_LOG=/dev/null timeout 60 \
		env LD_PRELOAD="$PRELOAD" "$PROGS/fork_private_leak") || fail "run $run: exit $?"
	echo "$out" | grep -q '^2400 forks, 0 children' || fail "run $run: $out"
	note "run $run: $out"
done
