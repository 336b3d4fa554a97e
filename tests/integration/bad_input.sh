# Every variable with empty, huge, negative, non-numeric and overlong
# values, and unknown SOCKSHIM_* names: the program runs exactly as without
# the shim, and each problem is reported once.  A log path on a full disk:
# the program runs as without the shim.
. "$(dirname "$0")/../lib.sh"

"$PROGS/passthrough" >"$WORK/bare.txt" 2>/dev/null || fail "bare: exit $?"
long=$(head -c 70000 /dev/zero | tr '\0' 9)
n=0
for var in REUSEADDR REUSEPORT GRACEFUL LINGER_MS LINGER_MODE LOG EVENTS BACKTRACE BACKTRACE_DEPTH RAW; do
	for value in "" "99999999999999999999" "-1" "x1" "$long" " 1" "1;rm -rf /" "$(printf 'a\tb\001\377')"; do
		[ "$var" = LOG ] && case $value in "" | "$long") ;; *) continue ;; esac # other values are paths
		env "SOCKSHIM_$var=$value" LD_PRELOAD="$PRELOAD" "$PROGS/passthrough" >"$WORK/out.txt" 2>"$WORK/err" ||
			fail "SOCKSHIM_$var=${value:0:20}: exit $?"
		diff -q "$WORK/bare.txt" "$WORK/out.txt" >/dev/null || fail "SOCKSHIM_$var=${value:0:20}: results differ"
		check_log "$WORK/err" --event config_error --where variable="SOCKSHIM_$var" --count 1
		[ "$(grep -c '"event":"config_error"' "$WORK/err")" = 1 ] || fail "SOCKSHIM_$var: reported more than once"
		n=$((n + 1))
	done
done
note "$n bad values: same results, one config_error each"

env SOCKSHIM_TYPO=1 SOCKSHIM_GRACEFULL=1 "SOCKSHIM_$long=1" LD_PRELOAD="$PRELOAD" "$PROGS/passthrough" \
	>"$WORK/out.txt" 2>"$WORK/err" || fail "unknown names: exit $?"
diff -q "$WORK/bare.txt" "$WORK/out.txt" >/dev/null || fail "unknown names: results differ"
check_log "$WORK/err" --event config_error --where "reason=unknown variable" --count 3
note "unknown names: one config_error each"

# A full disk (a small tmpfs, filled).
if [ "$(id -u)" = 0 ] && mkdir "$WORK/full" && mount -t tmpfs -o size=64k tmpfs "$WORK/full" 2>/dev/null; then
	head -c 1000000 /dev/zero >"$WORK/full/filler" 2>/dev/null
	SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/full/log.%p" LD_PRELOAD="$PRELOAD" "$PROGS/passthrough" \
		>"$WORK/out.txt" 2>"$WORK/err"
	rc=$?
	umount "$WORK/full"
	[ $rc = 0 ] || fail "full disk: exit $rc"
	diff -q "$WORK/bare.txt" "$WORK/out.txt" >/dev/null || fail "full disk: results differ"
	note "full disk: same results"
else
	note "full disk: not tried (needs root to mount a tmpfs)"
fi
