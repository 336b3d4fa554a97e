# Regression: an option that needs a value took the next option for it:
# "--log --graceful -- prog" wrote the records into a file named
# --graceful, and ran the program without --graceful (found by a helper's
# sweep).  Now a value that is itself one of the launcher's options, or
# --, is a missing value: refused (exit 2), nothing runs.
# Before: "'--log --graceful': exit 0".
. "$(dirname "$0")/../lib.sh"
L="$TOP/tools/sockshim"
cd "$WORK" || fail "cd $WORK"
for bad in "--log --graceful" "--log --events=all" "--linger-ms --raw" "--linger-mode --supervise" \
	"--events --preload" "--depth --help" "--log --version" "--log -h" "--log --"; do
	# shellcheck disable=SC2086
	"$L" $bad -- touch "$WORK/ran" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ $rc = 2 ] || fail "'$bad': exit $rc"
	grep -q "needs a value" "$WORK/err" || fail "'$bad': $(cat "$WORK/err")"
	[ ! -s "$WORK/out" ] || fail "'$bad': printed $(cat "$WORK/out")"
	[ ! -e "$WORK/ran" ] || fail "'$bad': the program ran"
	[ "$(ls "$WORK")" = "err
out" ] || fail "'$bad': made $(ls "$WORK")"
done
note "a missing value refused: $(cat "$WORK/err")"
# a value that only looks like an option is still one
"$L" --log "$WORK/-x.log" --events all -- "$PROGS/events" double_close >/dev/null 2>&1 || fail "--log -x.log: exit $?"
check_log "$WORK/-x.log" --event double_close --count 1
