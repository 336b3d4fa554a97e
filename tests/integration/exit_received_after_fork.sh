# A forking server's children end without a walk of /proc/self/fd: the
# parent learns the sockets it holds unseen once, before its first fork,
# and a child inherits that knowledge (fdtab_all_seen).  The walk cost a
# child more than the rest of the shim's work together (tools/bench
# fork-server, see README "Performance").  Checked under strace: 20
# children of fork_server, one walk in all (the parent's).
#
# What a child gets afterwards without the shim seeing it made must still
# be learned at its exit: a connection received in SCM_RIGHTS (recvmsg,
# recvmmsg, syscall(SYS_recvmsg)) and left with 6 bytes unread resets the
# client, and the child's exit records it (close_rst, unread 6).  Without
# the receive marking the table incomplete, no record.
. "$(dirname "$0")/../lib.sh"

if command -v strace >/dev/null; then
	port=$(free_port)
	strace -f -qq -e trace=openat -o "$WORK/strace.out" \
		env LD_PRELOAD="$PRELOAD" SOCKSHIM_LOG="$WORK/fs.log" \
		"$PROGS/fork_server" "$port" 100 20 &
	server=$!
	wait_listen "$port"
	for i in $(seq 20); do
		timeout 10 "$PROGS/seed_client" "$port" 100 >/dev/null || true
	done
	wait "$server" || fail "fork_server exited $?"
	walks=$(grep -c 'openat(AT_FDCWD, "/proc/self/fd", ' "$WORK/strace.out")
	note "fork_server, 20 children: $walks walk(s) of /proc/self/fd"
	[ "$walks" = 1 ] || fail "$walks walks of /proc/self/fd, expected 1 (the parent's, before its first fork)"
else
	note "strace is not installed: the walk count is not checked"
fi

# (the child's record: the parent closes its copy once the child has it;
# before, the parent closed it while in flight, found no other holder, and
# its own close_rst passed for the child's, with the marking or without)
for how in recvmsg recvmmsg syscall; do
	SOCKSHIM_LOG="$WORK/$how.log" shim "$PROGS/received_at_exit" "$how" >"$WORK/$how.out" 2>"$WORK/$how.err" ||
		fail "received_at_exit $how: exit $?: $(cat "$WORK/$how.err")"
	assert_grep "$WORK/$how.out" '^reset$'
	child=$(sed -n 's/^child \([0-9]*\)$/\1/p' "$WORK/$how.err")
	[ -n "$child" ] || fail "$how: no child pid: $(cat "$WORK/$how.err")"
	check_log "$WORK/$how.log" --event close_rst --where pid="$child" --where reason=unread_data --where unread=6 --count 1
	check_log "$WORK/$how.log" --event close_rst --count 1
	note "$how: the client was reset, the child's exit recorded close_rst (6 bytes unread)"
done
