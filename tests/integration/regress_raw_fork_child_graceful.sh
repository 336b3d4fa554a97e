# A child made by syscall(SYS_fork) runs no fork handler: its copies of
# the parent's sockets are not marked shared, and its linger thread is the
# parent's (absent).  Keeping the record ids right (proc_pid renewed in such
# a child) made the shim take that child for the process its state
# describes: under SOCKSHIM_GRACEFUL=1 the child's close (or _exit) of its
# copy of a connection was lingered on as a last close, shut down, and the
# parent's own later bytes never reached the peer (send: EPIPE).  Bare, the
# peer reads them; so it must under the shim.
. "$(dirname "$0")/../lib.sh"
for how in close exit; do
	out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/$how.log" timeout 20 \
		env LD_PRELOAD="$PRELOAD" "$PROGS/raw_fork_close" "$how" 2>&1)
	rc=$?
	note "raw fork, child's $how: $out"
	[ "$rc" = 0 ] || fail "raw-forked child's $how cut the parent's connection (exit $rc): $out"
done
