# libunwind is dlopen()ed, so a package installed without libunwind8 (or a
# 32-bit program without the i386 one) used to lose backtraces with no
# word of why.  Then: one backtrace_disabled record that names libunwind,
# the loader's reason and what is lost.  Since the shim stopped loading
# libunwind on x86_64 (unwind_without_libunwind), there nothing is lost
# without it and nothing is said: the same backtraces, no record; the
# record remains where libunwind does the unwinding (other architectures).
# libunwind is hidden from the program alone (a private mount namespace
# where /dev/null stands in for it).
. "$(dirname "$0")/../lib.sh"
no_sanitizer "hides a library from the loader"
[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
unshare -m --propagation private true 2>/dev/null || skip "cannot make a mount namespace here (unshare -m)"
so=$(${CC:-cc} -print-file-name=libunwind.so.8)
[ -f "$so" ] || so=$(ldconfig -p | sed -n 's/^[[:space:]]*libunwind\.so\.8 (.*x86-64.*) => //p' | head -n 1)
[ -f "$so" ] || skip "no libunwind.so.8 here to hide"
so=$(readlink -f "$so")

hidden() { # command...: runs it with libunwind unloadable
	unshare -m --propagation private sh -c 'mount --bind /dev/null "$1" && shift && exec "$@"' sh "$so" "$@"
}

# the control: with libunwind, backtraces and no such record
SOCKSHIM_LOG="$WORK/with.log" shim "$PROGS/events" close_error >/dev/null 2>&1
check_log "$WORK/with.log" --event close_error --backtrace-has bad_closer --count 1
check_log "$WORK/with.log" --event backtrace_disabled --count 0

SOCKSHIM_LOG="$WORK/without.log" hidden env LD_PRELOAD="$PRELOAD" "$PROGS/events" close_error >/dev/null 2>&1
if [ "$(uname -m)" = x86_64 ]; then
	# libunwind is not loaded at all on x86_64 (unwind_without_libunwind):
	# nothing is lost without it, and nothing is said
	check_log "$WORK/without.log" --event backtrace_disabled --count 0
	check_log "$WORK/without.log" --event close_error --backtrace-has bad_closer --count 1
	check_log "$WORK/without.log" --event close_error --module-has libsockshim --count 0
	note "x86_64: the same backtraces without libunwind, no record"
	exit 0
fi
check_log "$WORK/without.log" --event backtrace_disabled --count 1
assert_grep "$WORK/without.log" '"event":"backtrace_disabled","reason":"libunwind could not be loaded \(.+\): .+; install libunwind8'
check_log "$WORK/without.log" --event close_error --count 1
note "$(grep -o '"reason":"[^"]*"' "$WORK/without.log" | head -n 1)"

# Not when backtraces are off anyway, nor when nothing is logged.
SOCKSHIM_LOG="$WORK/off.log" SOCKSHIM_BACKTRACE=0 hidden env LD_PRELOAD="$PRELOAD" "$PROGS/events" close_error >/dev/null 2>&1
check_log "$WORK/off.log" --event backtrace_disabled --count 0
SOCKSHIM_LOG="$WORK/none.log" SOCKSHIM_EVENTS=none hidden env LD_PRELOAD="$PRELOAD" "$PROGS/events" close_error >/dev/null 2>&1
[ ! -s "$WORK/none.log" ] || fail "records at events=none: $(cat "$WORK/none.log")"
note "one record, only when backtraces were asked for"
