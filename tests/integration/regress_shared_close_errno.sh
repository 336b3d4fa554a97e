# The close of a socket shared by fork with bytes unread: the shim names
# the socket (getsockname, getpeername, SO_COOKIE) before the close, to ask
# the kernel afterwards whether the close was its last reference.  When a
# call there failed (ENOTCONN: the peer's reset arriving meanwhile), the
# close succeeded all the same but returned with errno ENOTCONN in place of
# the program's.  Now errno is kept around the naming.  The program makes
# getpeername fail (a seccomp trap) and checks errno after a close
# that returned 0 (tests/progs/shared_close_seccomp.c, identify-fails).
#
# Before: "the program exited 5" (errno 107 after a close that returned 0).
. "$(dirname "$0")/../lib.sh"
rc=0
SOCKSHIM_LOG="$WORK/errno.log" env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/shared_close_seccomp" identify-fails || rc=$?
[ $rc != 77 ] || skip "no seccomp filter here, or not x86_64"
[ $rc != 4 ] || fail "the shim never asked for the peer's address: the case does not show"
[ $rc = 0 ] || fail "the program exited $rc (3: close() failed; 5: errno changed by a close that succeeded)"
