# Regression: a program that closes every number /proc/self/fd lists (the
# daemon idiom: dnsmasq's close_fds, glib, systemd's fallback) found the
# shim's own there (its copy of stderr for the log), and the shim, which
# refuses such a close with EBADF as for a number never opened, also wrote
# a close_error for it: one at every start of dnsmasq, for a close the
# program had every reason to make (found by a helper's sweep).  Now the
# refusal writes nothing; the log goes on (the program's close(-1) after
# the loop is recorded).
#
# Before: 2 close_error records (fd 960, and the close(-1)).
. "$(dirname "$0")/../lib.sh"
out=$(SOCKSHIM_LOG=stderr shim "$PROGS/close_listed" 2>"$WORK/log") || fail "exit $?: $out"
failed=$(echo "$out" | sed -n 's/^listed [0-9]* failed \([0-9]*\)$/\1/p')
[ -n "$failed" ] || fail "unexpected output: $out"
[ "$failed" -ge 1 ] || fail "no number of the shim's was listed: the case does not show ($out)"
check_log "$WORK/log" --event close_error --where fd=-1 --count 1
check_log "$WORK/log" --event close_error --count 1
note "$out; one close_error, the program's close(-1)"
