# Regression: an install (or SOCKSHIM_LIBRARY) whose path has a space:
# the loader splits LD_PRELOAD at spaces (and colons) and preloaded
# nothing, and the launcher exited as the program did, nothing shimmed
# but the loader's "cannot be preloaded" line (found by a helper's
# sweep).  Now the launcher refuses (exit 2, the reason); a static
# program, which needs no library, still runs under the supervisor.
# Before: "a tree with a space: exit 0".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "a copy of the launcher with the build's library"
T="$WORK/with space"
mkdir -p "$T/tools" "$T/build"
cp "$TOP/tools/sockshim" "$T/tools/sockshim"
cp "$SHIM" "$B/sockshim-supervise" "$T/build/"
refused() { # what, then the command
	what=$1
	shift
	"$@" -- "$PROGS/events" double_close >"$WORK/out" 2>"$WORK/err"
	rc=$?
	[ $rc = 2 ] || fail "$what: exit $rc: $(cat "$WORK/out" "$WORK/err")"
	[ ! -s "$WORK/out" ] || fail "$what: the program ran"
	grep -q "white space" "$WORK/err" || fail "$what: $(cat "$WORK/err")"
}
refused "a tree with a space" "$T/tools/sockshim"
note "$(cat "$WORK/err")"
refused "SOCKSHIM_LIBRARY with a space" env SOCKSHIM_LIBRARY="$T/build/libsockshim.so" "$TOP/tools/sockshim"
mkdir -p "$WORK/a:b"
cp "$SHIM" "$WORK/a:b/"
refused "SOCKSHIM_LIBRARY with a colon" env SOCKSHIM_LIBRARY="$WORK/a:b/libsockshim.so" "$TOP/tools/sockshim"
# a static program needs no library: the supervisor
out=$("$T/tools/sockshim" --log "$WORK/s.log" -- "$PROGS/static/events" double_close 2>&1) ||
	fail "static, from the tree with a space: exit $?: $out"
check_log "$WORK/s.log" --event double_close --count 1
