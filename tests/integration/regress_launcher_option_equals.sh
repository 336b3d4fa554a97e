# Regression: only --graceful took its value after '=': "--log=FILE",
# "--events=all", "--linger-ms=N", "--linger-mode=sync", "--depth=N" were
# refused as unknown options; and "--linger-ms 99999999999999999999" (or
# --depth) printed the shell's own "Illegal number" line before the
# launcher's message (found by a helper's sweep).
# Before: "--log=FILE ...: exit 2: sockshim: unknown option
# '--log=/tmp/sockshim-test.FvX6bE/x.log' (see sockshim --help)"; and
# "--linger-ms 99999999999999999999" printed ".../tools/sockshim: 335:
# [: Illegal number: 99999999999999999999" before its own message.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "checks LD_PRELOAD values"
L="$TOP/tools/sockshim"
out=$("$L" --log="$WORK/x.log" --events=all --linger-ms=250 --linger-mode=sync --depth=7 \
	-- "$PROGS/show_env" 2>&1) || fail "--log=FILE ...: exit $?: $out"
for want in "SOCKSHIM_LOG=$WORK/x.log" SOCKSHIM_EVENTS=all SOCKSHIM_LINGER_MS=250 \
	SOCKSHIM_LINGER_MODE=sync SOCKSHIM_BACKTRACE_DEPTH=7 "LD_PRELOAD=$SHIM"; do
	printf '%s\n' "$out" | grep -qxF "$want" || fail "missing $want: $out"
done
note "--log=, --events=, --linger-ms=, --linger-mode=, --depth= set their variables"
# the same checks of the value as with a space
for bad in --events=most --linger-mode=later --depth=0 --depth=65 --linger-ms=-1 --log=; do
	"$L" "$bad" -- touch "$WORK/ran" 2>"$WORK/err"
	rc=$?
	[ $rc = 2 ] && [ -s "$WORK/err" ] && [ ! -e "$WORK/ran" ] || fail "'$bad': exit $rc: $(cat "$WORK/err")"
done
# a number too long for the shell: the launcher's message alone
for bad in "--linger-ms 99999999999999999999" "--depth 99999999999999999999" \
	"--linger-ms=3600001" "--depth=000000000000000000000000000065"; do
	# shellcheck disable=SC2086
	"$L" $bad -- touch "$WORK/ran" 2>"$WORK/err"
	rc=$?
	[ $rc = 2 ] && [ ! -e "$WORK/ran" ] || fail "$bad: exit $rc"
	[ "$(wc -l <"$WORK/err")" = 1 ] && grep -q "^sockshim: --" "$WORK/err" ||
		fail "$bad: $(wc -l <"$WORK/err") lines: $(cat "$WORK/err")"
done
note "a long number: $(cat "$WORK/err")"
# leading zeros are still the number
"$L" --linger-ms 0000000000000000000000250 --depth=007 -- "$PROGS/show_env" >"$WORK/env" || fail "leading zeros: exit $?"
grep -qx SOCKSHIM_BACKTRACE_DEPTH=007 "$WORK/env" || fail "leading zeros: $(cat "$WORK/env")"
"$L" --help | grep -q -- "--log=DEST" || fail "--help does not tell of the '=' form"
