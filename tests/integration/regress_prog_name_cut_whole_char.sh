# Regression: a program name longer than the record's 63 bytes of "prog"
# was cut in the middle of a UTF-8 character, which the record wrote as
# U+FFFD ("ééé…é\ufffd"): a name no host has, and a different one from the
# same program's name cut elsewhere (journald's _COMM).  Now it is cut
# before the character that does not fit.
# Before: "prog ends in U+FFFD: ...é\ufffd".
. "$(dirname "$0")/../lib.sh"
name=$(printf 'é%.0s' $(seq 40)) # 80 bytes
cp "$PROGS/events" "$WORK/$name" || skip "cannot make a file of that name here"
env SOCKSHIM_LOG="$WORK/log" $SAN_VARS LD_PRELOAD="$PRELOAD" "$WORK/$name" close_error >/dev/null 2>"$WORK/err" ||
	{ cat "$WORK/err"; fail "exit $?"; }
python3 - "$WORK/log" <<'PY' || fail "see above"
import json, sys
rec = json.loads(open(sys.argv[1], "rb").read().split(b"\n")[0])
prog = rec["prog"]
if "\ufffd" in prog:
    print(f"prog ends in U+FFFD: ...{prog[-3:]!a}", file=sys.stderr)
    sys.exit(1)
assert prog == "é" * 31, f"prog {prog!a}"
print(f"  prog: 31 whole characters of 40 ({len(prog.encode())} bytes)")
PY
