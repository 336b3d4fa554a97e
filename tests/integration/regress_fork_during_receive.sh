# A review finding in c2dcb5c (a forked child's exit trusts the table its
# parent completed before the fork, unless a receive marked it incomplete):
# a receive was marked only once recvmsg had returned, but its descriptors
# are the process's from the moment the kernel installed them.  Another
# thread's fork in between made a child holding the received connection
# with a "complete" table: its exit did not learn it.
# tests/progs/fork_during_receive makes that moment exact (ptrace stops the
# receiving thread at its recvmsg's syscall-exit, the main thread forks):
# the child exit()s holding the connection, 6 bytes unread, the parent's
# copies closed without libc.  Under SOCKSHIM_GRACEFUL=always the child's
# exit closes it gracefully: the client reads EOF.  Before the fix: the
# client was reset (the exit never saw the socket), as bare.
. "$(dirname "$0")/../lib.sh"

[ "$(uname -m)" = x86_64 ] || skip "fork_during_receive reads x86_64 registers"
out=$(SOCKSHIM_GRACEFUL=always SOCKSHIM_LOG="$WORK/log" timeout 30 \
	env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/fork_during_receive" 2>"$WORK/err")
rc=$?
[ $rc = 3 ] && skip "$(cat "$WORK/err")"
[ $rc = 0 ] || fail "fork_during_receive: exit $rc: $(cat "$WORK/err")"
[ "$out" = eof ] || fail "the client read '$out', expected EOF (the child's exit closing it gracefully)"
bare=$(timeout 30 "$PROGS/fork_during_receive" 2>/dev/null)
note "fork during a receive: the child's exit learned the socket and closed it gracefully (client: $out; bare: $bare)"
