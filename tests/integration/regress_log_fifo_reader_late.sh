# Regression: SOCKSHIM_LOG naming a FIFO that nobody read yet when the
# first record came (a collector started after the program) failed the
# open (ENXIO) and the file was given up for good: every later record was
# dropped, also once the reader was there.  Now the open is tried again at
# most once a second, the records meanwhile dropped and counted (a
# log_dropped record says how many).  bash closes a number never opened at
# each `exec N>&-` (a close_error with "fd":N).
# Before: "records the late reader got: (none)".
. "$(dirname "$0")/../lib.sh"
BASH_BIN=$(command -v bash) || skip "no bash"
mkfifo "$WORK/log.fifo" || fail "mkfifo"
env SOCKSHIM_LOG="$WORK/log.fifo" $SAN_VARS LD_PRELOAD="$PRELOAD" "$BASH_BIN" -c \
	'exec 99>&-; : >"$0"; sleep 1.5; exec 98>&-; sleep 1.2; exec 97>&-' "$WORK/first" >"$WORK/out" 2>&1 &
prog=$!
wait_file "$WORK/first" "bash did not start"
# the reader comes after the first record (once bash says it was made, not
# a fixed 0.5 s after the start); it ends when the program does
timeout 20 cat "$WORK/log.fifo" >"$WORK/got" &
reader=$!
wait "$prog" || { cat "$WORK/out"; fail "bash: exit $?"; }
wait "$reader"
[ ! -s "$WORK/out" ] || { cat "$WORK/out"; fail "records or errors on stderr"; }
got=$(grep -o '"fd":[0-9]*' "$WORK/got" | sed 's/"fd"://' | tr '\n' ' ')
[ "$got" = "98 97 " ] || fail "records the late reader got: ${got:-(none)}"
grep -q '"event":"log_dropped".*"dropped":1}' "$WORK/got" ||
	{ cat "$WORK/got"; fail "no log_dropped record counting the record made before the reader came"; }
note "the late reader got the records made after it came (fds: $got) and a log_dropped record"
