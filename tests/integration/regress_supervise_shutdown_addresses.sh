# Regression: the supervisor's shutdown_error and shutdown (events=all)
# records had no "local" or "peer", where the library's have the socket's
# addresses (found by a helper's sweep).  Now they are read from the
# supervisor's copy of the socket.  The records of the library (dynamic
# tests/progs/events) and of the supervisor (the static build) have the
# same fields, and the same addresses' shape.
# Before: "shutdown_error: the library's has local, the supervisor's not".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor runs static programs, which no sanitizer runtime is in"
SV="$B/sockshim-supervise"
for mode in shutdown_error calls; do
	SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/lib-$mode.log" shim "$PROGS/events" "$mode" >/dev/null ||
		fail "library: events $mode"
	SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/sv-$mode.log" "$SV" -- "$PROGS/static/events" "$mode" >/dev/null ||
		fail "supervisor: events $mode"
done
python3 - "$WORK" <<'PY' || fail "the records differ"
import json, sys
w = sys.argv[1]
def first(path, event):
    return [json.loads(l) for l in open(path) if json.loads(l)["event"] == event][0]
for mode, event in (("shutdown_error", "shutdown_error"), ("calls", "shutdown")):
    a = first(f"{w}/lib-{mode}.log", event)
    b = first(f"{w}/sv-{mode}.log", event)
    for k in ("local", "peer"):
        if (k in a) != (k in b):
            sys.exit(f"{event}: the library's has {k} {a.get(k)!r}, the supervisor's {b.get(k)!r}")
    if "local" not in a:
        sys.exit(f"{event}: the library's record has no local address: {a}")
    print(f"  {event}: local {a['local']} / {b['local']}, peer {a.get('peer')} / {b.get('peer')}")
PY
note "the supervisor's shutdown records have the library's addresses"
