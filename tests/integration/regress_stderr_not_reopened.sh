# A review finding, fixed in 708bd2b: the shim takes its own copy of the
# program's stderr for records, reopening a pipe or terminal through
# /proc/self/fd/2 (non-blocking, without touching the program's fd 2).
# Two stderrs must not be reopened:
#   read-only: a filter run with 2<&0 (stderr is its input pipe, read-only).
#     Reopened for writing, the pipe gets a writer of the shim's: the
#     record lands in the program's own input, which never ends.  The
#     filter must read exactly its input ("input: hello") and exit 0.
#   pty master: opening /proc/self/fd/2 of a pty master (/dev/ptmx) makes a
#     new pty, which nobody reads.  The record must come out on the pty's
#     other end, after the program's own line, as the program's own
#     stderr output does.
#
# Before the fix (b5c12e6):
#   read-only:  "FAIL: read-only stderr: exit 124 (124: hung): input: hello
#               {"ts":...,"event":"close_error",...}" (the record read back
#               as input, and no EOF: the shim's write end stays open)
#   pty master: "FAIL: pty master: the record is not on the pty: program line"
#               (the record went into a new pty at 960 -> /dev/ptmx)
. "$(dirname "$0")/../lib.sh"

out=$(printf 'hello\n' | timeout 10 "$PROGS/stderr_not_reopened" filter 2<&0) || fail "read-only, bare: exit $?: $out"
[ "$out" = "input: hello" ] || fail "read-only, bare: $out"
out=$(printf 'hello\n' | SOCKSHIM_EVENTS=all timeout 10 env $SAN_VARS LD_PRELOAD="$PRELOAD" \
	"$PROGS/stderr_not_reopened" filter 2<&0) || fail "read-only stderr: exit $? (124: hung): $out"
[ "$out" = "input: hello" ] || fail "read-only stderr: the program read: $out (expected: input: hello)"
note "read-only stderr (2<&0): the filter read exactly its input, no record in it"

# pty PRELOAD [VAR=VALUE...]: runs the program with stderr the master of a new pty and
# prints what comes out on the other end (raw: byte for byte): until it has
# two lines (one bare), or 10 s.
pty() {
	python3 - "$PROGS/stderr_not_reopened" "$@" <<'PY'
import os, select, subprocess, sys, time, tty
prog, preload = sys.argv[1], sys.argv[2]
m, s = os.openpty()
tty.setraw(s)
env = dict(os.environ)
if preload:
    env["LD_PRELOAD"] = preload
env.update(v.split("=", 1) for v in sys.argv[3:])
p = subprocess.Popen([prog, "line"], stderr=m, env=env)
rc = p.wait(timeout=20)
want = 2 if preload else 1
out, end = b"", time.monotonic() + 10
while out.count(b"\n") < want and time.monotonic() < end:
    if select.select([s], [], [], 0.1)[0]:
        out += os.read(s, 65536)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(rc)
PY
}
out=$(pty "") || fail "pty master, bare: exit $?: $out"
[ "$out" = "program line" ] || skip "pty master, bare: the pty's other end reads: $out"
out=$(pty "$PRELOAD" $SAN_VARS) || fail "pty master: exit $?: $out"
echo "$out" >"$WORK/pty.out"
[ "$(head -n 1 "$WORK/pty.out")" = "program line" ] || fail "pty master: the program's line is not first: $out"
sed 1d "$WORK/pty.out" >"$WORK/pty.log"
[ -s "$WORK/pty.log" ] || fail "pty master: the record is not on the pty: $out"
check_log "$WORK/pty.log" --event close_error --where fd=-1 --count 1
note "pty master: the record came out on the pty's other end, after the program's line"
