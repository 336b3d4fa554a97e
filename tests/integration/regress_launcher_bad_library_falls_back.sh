# Regression: a SOCKSHIM_LIBRARY that names no usable library (no such
# file, not a shared library, empty) stopped the launcher: exit 2, the
# program never ran, where the contract says a bad value gets one
# config_error naming the variable and the default, and the program is
# never stopped (found by the contract audit).  Now the launcher warns and
# preloads the library it finds as without the variable, and the library
# writes the config_error for a path that names no file (or an empty one).
# Before: "/nonexistent/libsockshim.so: exit 2: sockshim: SOCKSHIM_LIBRARY=
# /nonexistent/libsockshim.so: no such file".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "checks which library the launcher preloads"
L="$TOP/tools/sockshim"
for bad in /nonexistent/libsockshim.so /etc/passwd ""; do
	log="$WORK/log.$(echo "$bad" | tr / _)"
	out=$(SOCKSHIM_LIBRARY="$bad" "$L" --log "$log" -- "$PROGS/events" double_close 2>"$WORK/err") ||
		fail "'$bad': exit $?: $(cat "$WORK/err")"
	[ "$out" = ok ] || fail "'$bad': the program said '$out'"
	check_log "$log" --event double_close --count 1
	case $bad in
	/nonexistent*)
		grep -q "warning: SOCKSHIM_LIBRARY=$bad: no such file" "$WORK/err" || fail "'$bad': no warning: $(cat "$WORK/err")"
		n=$(grep -c '"event":"config_error".*"variable":"SOCKSHIM_LIBRARY","value":"/nonexistent/libsockshim.so"' "$log")
		[ "$n" = 1 ] || fail "'$bad': $n config_error records naming SOCKSHIM_LIBRARY, 1 expected: $(cat "$log")" ;;
	/etc/passwd)
		grep -q "warning: SOCKSHIM_LIBRARY=$bad is not a shared library" "$WORK/err" || fail "'$bad': no warning: $(cat "$WORK/err")" ;;
	"")
		n=$(grep -c '"event":"config_error".*"variable":"SOCKSHIM_LIBRARY"' "$log")
		[ "$n" = 1 ] || fail "empty: $n config_error records naming SOCKSHIM_LIBRARY, 1 expected: $(cat "$log")" ;;
	esac
done
# a good one is taken, and is no config_error
SOCKSHIM_LIBRARY="$SHIM" "$L" --log "$WORK/good.log" -- "$PROGS/events" double_close >/dev/null 2>"$WORK/err" ||
	fail "good: exit $?"
! grep -q config_error "$WORK/good.log" || fail "good: $(cat "$WORK/good.log")"
[ ! -s "$WORK/err" ] || fail "good: $(cat "$WORK/err")"
note "bad SOCKSHIM_LIBRARY: warning, config_error, the program ran with the library found"
