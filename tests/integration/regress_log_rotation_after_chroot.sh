# Regression: after a chroot, the log file's rotation check looked for the
# file's path inside the new root, where it names another file or none: a
# jail that has the log's directory (a root made with debootstrap has /tmp
# and /var/log) got a new log file of its own at the second check, and the
# records after it went there, out of the operator's sight.  Now the file
# opened before the chroot (regress_log_file_before_chroot) is written on
# and no longer checked by its path once the root has changed.
# Before: "records after the chroot inside the jail: jail/.../x.jsonl: 999992 999993".
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "chroot needs root"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no $PY"
log="$WORK/log/x.jsonl"
mkdir -p "$WORK/log" "$WORK/jail/$WORK/log"
# a record, the chroot, then a record after each of the next checks
records_around_chroot "$log" "$WORK/jail"
fds() { grep -o '"fd":[0-9]*' "$1" | sed 's/"fd"://' | tr '\n' ' '; }
inside=$(find "$WORK/jail" -type f)
[ -z "$inside" ] || fail "records after the chroot inside the jail: ${inside#"$WORK"/}: $(fds "$inside")"
[ "$(fds "$log")" = "999990 999991 999992 999993 " ] || fail "the log has $(fds "$log")"
note "every record in the file opened before the chroot: $(fds "$log")"
