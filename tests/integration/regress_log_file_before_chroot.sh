# Regression: a program that chroots before its first record (postfix's
# smtpd with Debian's default chroot, vsftpd, bind) lost every record of a
# SOCKSHIM_LOG file: the file is opened at the first record, and its path
# was then looked for inside the new root (a helper's sweep: postfix, 12
# resets, 0 records, no log_dropped).  Now the file is opened before the
# chroot (chroot is interposed).
# Before: "0 close_error records in the log, expected 1".
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "chroot needs root"
mkdir -p "$WORK/jail"
log="$WORK/sockshim.log"
env SOCKSHIM_LOG="$log" $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/chroot_then_record" "$WORK/jail" \
	>"$WORK/out" 2>&1 || { rc=$?; cat "$WORK/out"; fail "exit $rc"; }
assert_grep "$WORK/out" '^done$'
n=$(count_events "$log" close_error)
[ "$n" = 1 ] || fail "$n close_error records in the log, expected 1"
[ ! -e "$WORK/jail/$log" ] || fail "a log made inside the jail"
note "the record made inside the chroot is in the log outside it"
