# Every record made is written, or counted in a suppressed record, or in a
# log_dropped record, also when what was lost is a suppressed record, and
# when nothing but the process's end follows the losses (a helper's sweep
# of the log pipeline: a slow /dev/log reader lost 12,725 events in one
# run; a dropped suppressed record was one record to log_dropped, and the
# events it counted were lost to every total; drops followed by no ordinary
# record were never told).
# tests/progs/log_pipe_full window, its stderr a pipe nobody reads until it
# says "done", SOCKSHIM_RATE=200/1: 1000 close_error records (200 written,
# most of them dropped as the pipe fills, 800 suppressed), then in a new
# window one more, whose suppressed record (count 800) meets the full
# pipe; then the pipe is drained, and the program exits.
# Before the fix: "records written + suppressed + dropped = 82, expected
# 1001" (no suppressed record, no log_dropped record).
. "$(dirname "$0")/../lib.sh"

EXPECT=1001 python3 "$TOP/tests/log_pipe_driver.py" shim env $SAN_VARS SOCKSHIM_RATE=200/1 \
	LD_PRELOAD="$PRELOAD" "$PROGS/log_pipe_full" window || fail "under the shim"
