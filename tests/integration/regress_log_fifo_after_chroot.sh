# Regression: a FIFO as SOCKSHIM_LOG with no reader yet is opened again
# each second (regress_log_fifo_reader_late); after a chroot that retry
# opened the path inside the new root (O_CREAT: a file of its own in a jail
# that had the FIFO's directory, and the later records in it), what
# regress_log_rotation_after_chroot keeps the rotation check from doing.
# Now a path a chroot made lead elsewhere is never opened again: the
# records are dropped and counted.
# Before: "the retry opened the path inside the jail: .../log.fifo: 999992 999993".
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip "chroot needs root"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "no $PY"
mkdir -p "$WORK/log" "$WORK/jail/$WORK/log"
mkfifo "$WORK/log/log.fifo" || fail "mkfifo"
# nobody reads the FIFO: a record, the chroot, then a record after each
# of the next retries
records_around_chroot "$WORK/log/log.fifo" "$WORK/jail"
fds() { grep -o '"fd":[0-9]*' "$1" | sed 's/"fd"://' | tr '\n' ' '; }
inside=$(find "$WORK/jail" -type f)
[ -z "$inside" ] || fail "the retry opened the path inside the jail: ${inside#"$WORK"/}: $(fds "$inside")"
[ -p "$WORK/log/log.fifo" ] || fail "the FIFO is gone"
# A reader that came after the first record's try, before the chroot: the
# FIFO is opened at the chroot (the last time its path leads to it), not
# left for a retry a second later that can no longer find it.
mkdir -p "$WORK/jail2/$WORK/log"
env SOCKSHIM_LOG="$WORK/log/log.fifo" $SAN_VARS LD_PRELOAD="$PRELOAD" "$PY" - "$WORK/jail2" "$WORK/tried" >"$WORK/out2" 2>&1 <<'PY' &
import os, sys, time
def bad(n):
    try:
        os.close(n)
    except OSError:
        pass
bad(999980)                     # no reader yet: not opened
open(sys.argv[2], "w").close()  # the test's reader starts now
time.sleep(0.4)
os.chroot(sys.argv[1])
os.chdir("/")
bad(999981)
bad(999982)
print("done")
PY
prog=$!
for _ in $(seq 50); do [ -e "$WORK/tried" ] && break; sleep 0.1; done
timeout 20 cat "$WORK/log/log.fifo" >"$WORK/got" &
reader=$!
wait "$prog" || { cat "$WORK/out2"; fail "python (reader before the chroot): exit $?"; }
wait "$reader"
assert_grep "$WORK/out2" '^done$'
got=$(fds "$WORK/got")
[ "$got" = "999981 999982 " ] || fail "a reader there before the chroot got: ${got:-(none)}"
[ -z "$(find "$WORK/jail2" -type f)" ] || fail "a file made in the second jail"
note "no file made in the jail: the records after the chroot dropped; a reader there before the chroot got $got"
