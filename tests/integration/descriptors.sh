# Descriptors at the edges: RLIMIT_NOFILE raised to 1M and numbers far above
# the initial limit; descriptors inherited through exec that the shim never
# saw made.  (close_range/closefrom and close-everything loops over the
# shim's own descriptors: daemon_close_all.)
. "$(dirname "$0")/../lib.sh"

out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/high.log" shim "$PROGS/fd_limits" high) || fail "high: exit $?: $out"
top=${out#ok }
[ "$out" = "ok $top" ] || fail "high: $out"
check_log "$WORK/high.log" --event double_close --where fd="$top" --backtrace-has main \
	--first-backtrace-has high_closer --count 1
[ "$top" -ge 1048575 ] || note "(without the privilege to raise the hard limit: up to $top only)"
note "raised limit: descriptors up to $top tracked, the double close at $top reported"

"$PROGS/fd_limits" inherit "$PROGS/fd_limits" >"$WORK/bare" 2>&1 || fail "bare: exit $?"
SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/inh.log" shim "$PROGS/fd_limits" inherit "$PROGS/fd_limits" \
	>"$WORK/shim" 2>&1 || fail "inherit: exit $?"
diff -u "$WORK/bare" "$WORK/shim" || fail "inherited descriptors: results differ"
check_log "$WORK/inh.log" --event double_close --backtrace-has inherited_closer \
	--first-backtrace-has inherited_closer --count 1
check_log "$WORK/inh.log" --event close_error --where fd=9 --count 1
note "inherited: same results, the double close of an inherited socket reported"
