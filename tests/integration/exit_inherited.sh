# A socket the program never saw made (passed through exec: inetd, sshd's
# re-exec, a shell's redirection) is still checked when the program exit()s
# with it open: the shim learns it from /proc/self/fd at exit (proc.c's
# proc_each_fd).  At events=all that exit's close of the connection has
# its record, with the socket's family and addresses.
. "$(dirname "$0")/../lib.sh"
run_with_inherited_socket SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/inherited.log" -- /bin/sleep 0.1 ||
	fail "the program under the shim: exit $?"
check_log "$WORK/inherited.log" --event close --where fd=3 --where family=inet \
	--where peer=127.0.0.1:"$INHERITED_PORT" --count 1
note "the inherited socket's close at exit was recorded"

# sshd's way: the inherited socket copied (dup), the copy made
# close-on-exec (fcntl F_SETFD), /dev/null put over the original number.
# The copy's number was known by its flag alone, never learned as a
# socket: before the fix its close at exit had no record (and sshd's
# resets no close_rst).
run_with_inherited_socket SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/copied.log" -- python3 -c '
import fcntl, os
c = os.dup(3)
fcntl.fcntl(c, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
n = os.open("/dev/null", os.O_RDWR)
os.dup2(n, 3)
os.close(n)
print(c)' >"$WORK/copied.out" || fail "the copying program under the shim: exit $?"
copy=$(cat "$WORK/copied.out")
check_log "$WORK/copied.log" --event close --where fd="$copy" --where family=inet \
	--where peer=127.0.0.1:"$INHERITED_PORT" --count 1
note "the copy (fd $copy) of the inherited socket: its close at exit was recorded"
