#!/bin/sh
# A static program built with musl (musl-tools) under the supervisor: the
# seed's case, and a backtrace that names the function that closed.
# musl's libc has no unwind tables: the trapped call's stub and its callers
# in libc have no call frame information, and libdw followed their frame
# pointer (none: -fomit-frame-pointer) to frames never called.  Now frames
# without CFI in a module that has some are passed by the first return
# address above each that follows a call instruction (not one into the
# function being left: what its earlier calls left in its frame).
# Before the fix: backtrace ["__syscall_cp_c+0x19", "close+0x26", "close+0x9"...]
# without answer_and_close (-O2: main's frames from a stale slot) or, at
# -O0, ending in libc.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor runs static programs, which no sanitizer runtime is in"
S="$PROGS/musl/seed_server"
[ -x "$S" ] || skip "no musl-gcc (musl-tools)"

out=$(seed_life "$WORK/none" "$S" "$PROGS/seed_client" bare)
case $out in *"Connection reset by peer"*) ;; *) fail "bare: no reset: $out" ;; esac
note "musl static, bare: $out"

out=$(seed_life "$WORK/c.log" "$S" "$PROGS/seed_client")
case $out in *"Connection reset by peer"*) ;; *) fail "supervised: changed the outcome: $out" ;; esac
check_log "$WORK/c.log" --event close_rst --where reason=unread_data --backtrace-has answer_and_close --count 1
python3 - "$WORK/c.log" <<'PY' || fail "the backtrace's frames"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if '"close_rst"' in l][0]
names = [f.get("symbol", "").split("+")[0] for f in r["backtrace"]]
# the stub, then close, answer_and_close and main in that order
want = ["close", "answer_and_close", "main"]
at = [names.index(w) for w in want if w in names]
assert len(at) == 3 and at == sorted(at) and at[1] == at[0] + 1 and at[2] == at[1] + 1, names
PY
note "musl static, supervised: one close_rst, close <- answer_and_close <- main"

out=$(seed_life "$WORK/cg.log" "$S" "$PROGS/seed_client" --graceful)
[ "$out" = "received 4000000 bytes, then EOF" ] || fail "graceful: $out"
note "musl static, --graceful: $out"
