# The supervisor (sockshim --supervise) on the seed's case in programs no
# preload reaches: a static C seed server and the Go seed built with
# CGO_ENABLED=0.  Each: the reset bare (proved first); supervised, exactly
# one close_rst whose backtrace names the function that closed; with
# --graceful, the whole answer and a clean EOF.  The records have the
# library's shape: a close_rst of the supervisor has the same fields as
# the library's own for the dynamic seed.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor runs static programs, which no sanitizer runtime is in"
SV="$B/sockshim-supervise"
[ -x "$SV" ] || fail "build/sockshim-supervise is missing"
"$SV" --help >/dev/null || fail "sockshim-supervise --help"

# ---- static C ----
S="$PROGS/static/seed_server"
out=$(seed_life "$WORK/none" "$S" "$PROGS/seed_client" bare)
case $out in *"Connection reset by peer"*) ;; *) fail "static C bare: no reset: $out" ;; esac
note "static C, bare: $out"

out=$(seed_life "$WORK/c.log" "$S" "$PROGS/seed_client")
case $out in *"Connection reset by peer"*) ;; *) fail "static C supervised without graceful: changed the outcome: $out" ;; esac
check_log "$WORK/c.log" --event supervised --count 1
check_log "$WORK/c.log" --event close_rst --where reason=unread_data --backtrace-has answer_and_close --count 1
check_log "$WORK/c.log" --module-has static/seed_server
note "static C, supervised: one close_rst in answer_and_close"

out=$(seed_life "$WORK/cg.log" "$S" "$PROGS/seed_client" --graceful)
[ "$out" = "received 4000000 bytes, then EOF" ] || fail "static C graceful: $out"
check_log "$WORK/cg.log" --event close_rst --count 0
note "static C, --graceful: $out"

# the same fields as the library's own close_rst (the dynamic seed)
port=$(free_port)
SOCKSHIM_LOG="$WORK/lib.log" shim "$PROGS/seed_server" "$port" 4000000 1 &
pid=$!
BG_PIDS="$BG_PIDS $pid"
wait_listen "$port"
"$PROGS/seed_client" "$port" 60000 >/dev/null
wait "$pid"
python3 - "$WORK/lib.log" "$WORK/c.log" <<'PY' || fail "records differ in shape"
import json, sys
def rst(path):
    return [json.loads(l) for l in open(path) if '"close_rst"' in l][0]
a, b = rst(sys.argv[1]), rst(sys.argv[2])
assert set(a) == set(b), (sorted(a), sorted(b))
assert set(a["backtrace"][0]) <= set(b["backtrace"][1]), (a["backtrace"][0], b["backtrace"][1])
for k in ("fd", "family", "type", "reason", "event"):
    assert a[k] == b[k], (k, a[k], b[k])
PY
note "its close_rst has the library's fields"

# ---- static Go ----
go_setup
(cd "$TOP/tests/go" && CGO_ENABLED=0 go build -o "$G/seedserver-static" ./seedserver) || fail "go build static seedserver"
(cd "$TOP/tests/go" && go build -o "$G/seedclient" ./seedclient) || fail "go build seedclient"
file "$G/seedserver-static" | grep -q 'statically linked' || fail "the Go seed is not static"
GS="$G/seedserver-static"

out=$(seed_life "$WORK/none" "$GS" "$G/seedclient" bare)
case $out in *"connection reset by peer"*) ;; *) fail "static Go bare: no reset: $out" ;; esac
note "static Go, bare: $out"

out=$(seed_life "$WORK/go.log" "$GS" "$G/seedclient")
check_log "$WORK/go.log" --event close_rst --where reason=unread_data --backtrace-has main.answerAndClose --count 1
python3 - "$WORK/go.log" >"$WORK/addrs" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if '"close_rst"' in l][0]
print("\n".join(f["offset"] for f in r["backtrace"]))
PY
go tool addr2line "$GS" <"$WORK/addrs" | grep -q '^main\.answerAndClose$' ||
	fail "go tool addr2line does not find main.answerAndClose in the backtrace"
"$B/sockshim-report" "$WORK/go.log" >"$WORK/report" || fail "report"
assert_grep "$WORK/report" 'main\.answerAndClose'
note "static Go, supervised: one close_rst, backtrace symbolizes to main.answerAndClose (addr2line, report)"

out=$(seed_life "$WORK/gog.log" "$GS" "$G/seedclient" --graceful)
[ "$out" = "received 4000000 bytes, then EOF" ] || fail "static Go graceful: $out"
note "static Go, --graceful: $out"
