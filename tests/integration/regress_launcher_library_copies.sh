# Regression: another copy of the library in LD_PRELOAD (another install,
# a unit's drop-in; not a symlink to the same file) stayed there behind
# the launcher's: both loaded, and every record was written twice (found
# by a helper's sweep).  Now the preload path takes every libsockshim out
# of LD_PRELOAD as --supervise does, and keeps the rest.
# Before: "2 double_close records, 1 expected" ("LD_PRELOAD=.../build/
# libsockshim.so:/tmp/.../copy/libsockshim.so").
. "$(dirname "$0")/../lib.sh"
no_sanitizer "checks LD_PRELOAD values"
L="$TOP/tools/sockshim"
mkdir -p "$WORK/copy"
cp "$SHIM" "$WORK/copy/libsockshim.so"
LD_PRELOAD="$WORK/copy/libsockshim.so" "$L" --log "$WORK/a.log" -- "$PROGS/events" double_close >/dev/null 2>"$WORK/err" ||
	fail "exit $?: $(cat "$WORK/err")"
n=$(grep -c '"event":"double_close"' "$WORK/a.log")
[ "$n" = 1 ] || fail "$n double_close records, 1 expected ($(LD_PRELOAD="$WORK/copy/libsockshim.so" "$L" -- "$PROGS/show_env" | grep LD_PRELOAD))"
# what else was preloaded stays, in its order, after the library
LD_PRELOAD="$WORK/copy/libsockshim.so:$PROGS/count_close.so $SHIM:$PROGS/empty.so" "$L" -- "$PROGS/show_env" >"$WORK/env" ||
	fail "show_env: exit $?"
grep -qxF "LD_PRELOAD=$SHIM:$PROGS/count_close.so:$PROGS/empty.so" "$WORK/env" || fail "LD_PRELOAD: $(cat "$WORK/env")"
note "one record; LD_PRELOAD: $(cat "$WORK/env")"
