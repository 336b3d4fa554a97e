# Regression: the launcher looked for the library of a program's
# architecture before it looked whether the program is static, which needs
# none (the supervisor runs it): a static 32-bit program was refused where
# no i386 library is installed ("install libsockshim:i386"), and any static
# program when SOCKSHIM_LIBRARY named a library that is not there (found by
# a helper's sweep).  Now a static program goes to the supervisor first.
# Before: "SOCKSHIM_LIBRARY=/nonexistent: exit 2".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor runs static programs, which no sanitizer runtime is in"
L="$TOP/tools/sockshim"
S="$PROGS/static/events"
[ -x "$S" ] || fail "no static events program"
out=$(SOCKSHIM_LIBRARY=/nonexistent/libsockshim.so "$L" --log "$WORK/a.log" -- "$S" double_close 2>&1) ||
	fail "static, SOCKSHIM_LIBRARY missing: exit $?: $out"
[ "$out" = ok ] || fail "static: $out"
check_log "$WORK/a.log" --event double_close --count 1
note "a static program runs under the supervisor whatever the library's lookup"
# a static i386 one where this tree's i386 library is not there: a copy of
# the launcher in a tree with build/sockshim-supervise and no build/i386
S32="$PROGS/static32/events"
if [ -x "$S32" ] && i386_runs; then
	mkdir -p "$WORK/tree/tools" "$WORK/tree/build"
	cp "$L" "$WORK/tree/tools/sockshim"
	cp "$B/sockshim-supervise" "$B/libsockshim.so" "$WORK/tree/build/"
	out=$("$WORK/tree/tools/sockshim" --log "$WORK/b.log" -- "$S32" double_close 2>&1) ||
		fail "static i386 without an i386 library: exit $?: $out"
	[ "$out" = ok ] || fail "static i386: $out"
	check_log "$WORK/b.log" --event double_close --count 1
	note "a static i386 program where no i386 library is: supervised"
fi
