# Issue 10, defect 5: the default log destination is the program's stderr;
# when that is a pipe nobody reads (a supervisor that reads it later, or
# never), the shim must drop records and say how many, not block the
# program.  The program makes 1000 close_error records (far more than the
# 64 KiB pipe holds), says "done", waits for the driver to start reading,
# and makes one more.  Every record is either in the pipe or counted in a
# log_dropped record: close_error records + sum of `dropped` == 1001.
# (The 20 s bound is how long "done" may take; bare it takes milliseconds.)
#
# Before the fix: "FAIL: no 'done' within 20 s: the program is blocked
# (80 or 81 records in the pipe)" after 20 s — the shim's write into the full pipe blocks.
# The driver empties the pipe before the last record, so that record (and
# the count of the lost ones it can carry) always finds room.
. "$(dirname "$0")/../lib.sh"


# (tests/log_pipe_driver.py: every record written or counted, 1001 in all)
python3 "$TOP/tests/log_pipe_driver.py" bare "$PROGS/log_pipe_full" || fail "bare run"
python3 "$TOP/tests/log_pipe_driver.py" shim env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/log_pipe_full" ||
	fail "under the shim"
