# A review finding in c2dcb5c (a child's exit trusts the table its parent
# completed before the fork, fdtab_all_seen, unless a call that may bring a
# socket unseen marked it incomplete): libc's own pidfd_getfd() (glibc
# 2.36) was not among those calls, only syscall(SYS_pidfd_getfd).  A forked
# worker that takes a connection from its parent with pidfd_getfd() and
# exit()s holding it with 6 bytes unread resets the client, and its exit
# must record that (close_rst, unread 6, the child's pid).  Before the fix:
# the client reset, no record from the child (the only close_rst was the
# parent's, at its close of its copy: it cannot know the child took one).
. "$(dirname "$0")/../lib.sh"

log="$WORK/log"
out=$(SOCKSHIM_LOG="$log" shim "$PROGS/received_at_exit" pidfd_getfd 2>"$WORK/err") || {
	rc=$?
	out=$(cat "$WORK/err")
	case $out in
	*"glibc before 2.36"* | *"pidfd_getfd: Function not implemented"*) skip "no pidfd_getfd here: $out" ;;
	*"pidfd_getfd: Operation not permitted"*) skip "pidfd_getfd refused (ptrace policy): $out" ;;
	esac
	fail "received_at_exit pidfd_getfd: exit $rc: $out"
}
[ "$out" = reset ] || fail "the client read '$out', expected a reset"
child=$(sed -n 's/^child \([0-9]*\)$/\1/p' "$WORK/err")
[ -n "$child" ] || fail "no child pid: $(cat "$WORK/err")"
check_log "$log" --event close_rst --where pid="$child" --where reason=unread_data --where unread=6 --count 1
note "pidfd_getfd: the client was reset, the child's exit recorded close_rst (6 bytes unread)"
