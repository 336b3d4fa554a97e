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

cat >"$WORK/driver.py" <<'PY'
import json, os, select, subprocess, sys, threading, time

bare = sys.argv[1] == "bare"
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                     stderr=subprocess.PIPE)
out = b""
deadline = time.monotonic() + 20
while not out.endswith(b"\n"):
    left = deadline - time.monotonic()
    if left <= 0 or not select.select([p.stdout], [], [], left)[0]:
        p.kill()
        held = p.stderr.read().count(b"\n")
        sys.exit(f"FAIL: no 'done' within 20 s: the program is blocked ({held} records in the pipe)")
    chunk = os.read(p.stdout.fileno(), 4096)
    if not chunk:
        break
    out += chunk
if out != b"done\n":
    p.kill()
    sys.exit(f"FAIL: the program said {out!r}")

# Empty the pipe before the program goes on (it writes nothing while it
# waits for its line), so that its last record finds room for certain and
# can carry the count of the lost ones; then read on until the end.
early = b""
os.set_blocking(p.stderr.fileno(), False)
while True:
    try:
        chunk = os.read(p.stderr.fileno(), 65536)
    except BlockingIOError:
        break
    if not chunk:
        break
    early += chunk
os.set_blocking(p.stderr.fileno(), True)
err = [early]
reader = threading.Thread(target=lambda: err.append(p.stderr.read()))
reader.start()
p.stdin.write(b"go\n")
p.stdin.close()
try:
    rc = p.wait(timeout=20)
except subprocess.TimeoutExpired:
    p.kill()
    sys.exit("FAIL: the program did not end after its stderr was read")
reader.join()
lines = b"".join(err).splitlines()
if rc != 0:
    sys.exit(f"FAIL: exit {rc}: {p.stdout.read()!r}; stderr ends {lines[-3:]}")
if bare:
    if lines:
        sys.exit(f"FAIL: bare run wrote to stderr: {lines[:3]}")
    print("bare: done, exit 0")
    sys.exit(0)

records = []
for n, line in enumerate(lines, 1):
    try:
        records.append(json.loads(line))
    except ValueError as e:
        sys.exit(f"FAIL: stderr line {n} is not JSON ({e}): {line[:200]!r}")
errors = sum(r.get("event") == "close_error" for r in records)
drops = [r for r in records if r.get("event") == "log_dropped"]
dropped = sum(r.get("dropped", 0) for r in drops)
print(f"{errors} close_error records, {len(drops)} log_dropped records counting {dropped}, "
      f"{errors} + {dropped} = {errors + dropped}")
if not drops:
    sys.exit("FAIL: no log_dropped record (a 64 KiB pipe cannot hold them all)")
if errors + dropped != 1001:
    sys.exit(f"FAIL: records written + dropped = {errors + dropped}, expected 1001")
PY

python3 "$WORK/driver.py" bare "$PROGS/log_pipe_full" || fail "bare run"
python3 "$WORK/driver.py" shim env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/log_pipe_full" ||
	fail "under the shim"
