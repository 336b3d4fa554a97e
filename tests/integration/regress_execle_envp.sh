# The exec family under the shim gives the new program what bare gives it:
# arguments, environment (given, or environ) and, for a failed exec, errno
# (tests/progs/exec_variants, in 64 bits and, where built, in 32).
# Regression (the review of cb59baa): on i386, execle passed the program
# the first of its arguments for its environment (the va_list was read on
# after a copy of it had been): an empty environment, or EFAULT.
# Before (i386): "execle x [given]" missing: "execle x []".
. "$(dirname "$0")/../lib.sh"
bare=$("$PROGS/exec_variants") || fail "bare: exit $?"
shim=$(env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/exec_variants" 2>"$WORK/64.err") || fail "shim: exit $?"
[ "$bare" = "$shim" ] || { printf 'bare:\n%s\nshim:\n%s\n' "$bare" "$shim"; fail "64 bits: not as bare"; }
printf '%s\n' "$shim" | grep -qx 'execle x \[given\]' || fail "execle: $shim"
note "64 bits: as bare"
if [ -x "$PROGS/exec_variants32" ] && [ -f "$B/i386/libsockshim.so" ] && [ "$FLAVOR" = plain ] && i386_runs; then
	bare=$("$PROGS/exec_variants32") || fail "bare (i386): exit $?"
	shim=$(LD_PRELOAD="$B/i386/libsockshim.so" "$PROGS/exec_variants32" 2>"$WORK/i386.err") || fail "shim (i386): exit $?"
	[ "$bare" = "$shim" ] || { printf 'bare:\n%s\nshim:\n%s\n' "$bare" "$shim"; fail "i386: not as bare"; }
	note "i386: as bare"
fi
