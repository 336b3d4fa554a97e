"""Runs a program whose stderr is a pipe nobody reads until it says "done"
(tests/progs/log_pipe_full), then reads it all and checks that every record
it made is accounted for: close_error records written, plus the counts of
the suppressed records, plus the counts of the log_dropped records, equal
EXPECT (a number in the environment, 1001 unless set).

    log_pipe_driver.py bare|shim COMMAND..."""
import json, os, select, subprocess, sys, threading, time

expect = int(os.environ.get("EXPECT", "1001"))

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
suppressed = sum(r.get("count", 0) for r in records
                 if r.get("event") == "suppressed" and r.get("suppressed_event") == "close_error")
drops = [r for r in records if r.get("event") == "log_dropped"]
dropped = sum(r.get("dropped", 0) for r in drops)
print(f"{errors} close_error records, {suppressed} suppressed, {len(drops)} log_dropped records "
      f"counting {dropped}: {errors + suppressed + dropped}")
if not drops:
    sys.exit("FAIL: no log_dropped record (a 64 KiB pipe cannot hold them all)")
if errors + suppressed + dropped != expect:
    sys.exit(f"FAIL: records written + suppressed + dropped = {errors + suppressed + dropped}, "
             f"expected {expect}")
