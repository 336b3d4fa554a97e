# Under SOCKSHIM_GRACEFUL=1 a forking server's parent closes its copy of
# a connection whose count (sharecount.h) follows every holder and says a
# child holds it.  The /proc scan for other holders (holders.h) is for
# sockets the count cannot follow; done here too it held the parent's
# close back while the child exited: both decided "another holds it", and
# the last of the two closes reset the client (exit_and_fork's fork-exit
# graceful case failed so in a CI run).  Such a close must not scan: no
# openat of /proc under strace, and the child's exit cures the reset.
. "$(dirname "$0")/../lib.sh"
command -v strace >/dev/null || skip "strace is not installed"
private_net
port=$(free_port)
before=$(kernel_aborts)
SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/fe.log" strace -f -qq -e trace=openat -o "$WORK/strace.out" \
	env LD_PRELOAD="$PRELOAD" "$PROGS/seed_exit" fork-exit "$port" 4000000 1 &
server=$!
wait_listen "$port"
timeout 60 "$PROGS/seed_client" "$port" 60000 >"$WORK/client.out"
wait "$server" || fail "the server exited $?"
sleep 0.1
aborts=$(($(kernel_aborts) - before))
scans=$(grep -c 'openat(AT_FDCWD, "/proc", ' "$WORK/strace.out")
note "$(cat "$WORK/client.out"); kernel resets $aborts; /proc scans $scans"
[ "$scans" = 0 ] || fail "a close whose count follows every holder scanned /proc $scans times"
assert_grep "$WORK/client.out" "then EOF"
[ "$aborts" = 0 ] || fail "$aborts resets under graceful"
