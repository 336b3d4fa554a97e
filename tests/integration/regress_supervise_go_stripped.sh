#!/bin/sh
# The Go seed built as containers build it, CGO_ENABLED=0 and
# -ldflags="-s -w" (no symbol table, no DWARF), under the supervisor: its
# close_rst's frames are named from the runtime's own table (.gopclntab),
# which `go tool addr2line` reads too.
# Before the fix: every frame without a symbol (module and offset only).
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor runs static programs, which no sanitizer runtime is in"
go_setup
(cd "$TOP/tests/go" && CGO_ENABLED=0 go build -ldflags="-s -w" -o "$G/seedserver-stripped" ./seedserver) ||
	fail "go build stripped seedserver"
(cd "$TOP/tests/go" && go build -o "$G/seedclient" ./seedclient) || fail "go build seedclient"
S="$G/seedserver-stripped"
readelf -S "$S" | grep -q "\.symtab" && fail "the seed still has a symbol table"
port=$(free_port)
"$TOP/tools/sockshim" --log "$WORK/c.log" -- "$S" "$port" 4000000 1 &
pid=$!
BG_PIDS="$BG_PIDS $pid"
wait_listen "$port"
out=$("$G/seedclient" "$port" 60000)
wait "$pid" || fail "server exit $?"
case $out in *"reset by peer"*) ;; *) fail "supervised: changed the outcome: $out" ;; esac
check_log "$WORK/c.log" --event close_rst --backtrace-has main.answerAndClose --count 1
# the same name go tool addr2line gives for that frame's offset
off=$(python3 - "$WORK/c.log" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if '"close_rst"' in l][0]
print([f for f in r["backtrace"] if f.get("symbol", "").startswith("main.answerAndClose")][0]["offset"])
PY
)
name=$(echo "$off" | go tool addr2line "$S" | head -1)
[ "$name" = main.answerAndClose ] || fail "go tool addr2line $off: $name"
note "stripped static Go, supervised: close_rst in main.answerAndClose (go tool addr2line agrees at $off)"
