# A child made by clone(CLONE_FILES) shares its parent's descriptor table:
# fork()'s handlers, which a child made without fork() now gets
# (regress_clone_child_holds_sockets), are not for it: they would close the
# shim's own descriptors in the table both use.  The parent's log still
# takes its record after the child has come and gone, through libc's
# clone() and through syscall(SYS_clone).
. "$(dirname "$0")/../lib.sh"
for mode in lib sys; do
	env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/clone_files" "$mode" >"$WORK/$mode.out" 2>"$WORK/$mode.err" ||
		{ rc=$?; cat "$WORK/$mode.out" "$WORK/$mode.err"; fail "$mode: exit $rc"; }
	assert_grep "$WORK/$mode.out" '^done$'
	check_log "$WORK/$mode.err" --event close_error --count 1
done
note "the parent's log works after a CLONE_FILES child, both ways"
