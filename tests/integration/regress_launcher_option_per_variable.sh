# Regression: the contract gives the launcher an option per variable, and
# SOCKSHIM_RATE and SOCKSHIM_LIBRARY had none: "sockshim --rate 5/60 --
# prog" was refused as an unknown option (found by the contract audit).
# Before: "--rate: exit 2: sockshim: unknown option '--rate'".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "checks the environment the launcher gives"
L="$TOP/tools/sockshim"
check_env() { # what, the line show_env must print, then the options
	what=$1 want=$2
	shift 2
	"$L" "$@" -- "$PROGS/show_env" >"$WORK/env" 2>"$WORK/err" || fail "$what: exit $?: $(cat "$WORK/err")"
	grep -qxF "$want" "$WORK/env" || fail "$what: no $want: $(grep SOCKSHIM "$WORK/env")"
}
check_env "--rate" SOCKSHIM_RATE=5/60 --rate 5/60
check_env "--rate=" SOCKSHIM_RATE=0 --rate=0
check_env "--library" "SOCKSHIM_LIBRARY=$SHIM" --library "$SHIM"
check_env "--library=" "LD_PRELOAD=$SHIM" --library="$SHIM"
# a bad value is refused as every option's is
for bad in 0/60 5/0 5 abc ""; do
	"$L" --rate "$bad" -- "$PROGS/show_env" >/dev/null 2>"$WORK/err"
	rc=$?
	[ $rc = 2 ] || fail "--rate '$bad': exit $rc"
	grep -q -- "--rate takes N/SECONDS" "$WORK/err" || fail "--rate '$bad': $(cat "$WORK/err")"
done
# the rate reaches the library: a server double-closing at one site,
# 2 records written, the rest counted in suppressed records
bugs=$("$L" --rate 2/60 --log "$WORK/r.log" -- "$PROGS/flood" 0.3 | sed -n 's/^bugs //p') || fail "flood: exit $?"
[ "${bugs:-0}" -gt 2 ] || fail "flood made $bugs bugs"
n=$(grep -c '"event":"double_close"' "$WORK/r.log")
[ "$n" = 2 ] || fail "--rate 2/60: $n double_close records written, 2 expected"
held=$(grep '"event":"suppressed".*"suppressed_event":"double_close"' "$WORK/r.log" | sed -n 's/.*"count":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
[ "$held" = $((bugs - 2)) ] || fail "--rate 2/60: suppressed counts $held, $((bugs - 2)) expected"
note "--rate and --library set their variables"
