# A child made by clone(CLONE_FILES) shares its parent's descriptor table:
# fork()'s handlers, which a child made without fork() now gets
# (regress_clone_child_holds_sockets), are not for it: they would close the
# shim's own descriptors in the table both use.  The parent's log still
# takes its record after the child has come and gone, through libc's
# clone() and through syscall(SYS_clone).
# regress_clone_files_child_exit: the child's exit() took the parent's
# sockets, still open, for its own, and wrote a false close_rst for the one
# with bytes unread (found by a helper's sweep).
# Before: "lib: 1 close_rst records of the child's, expected 0".
. "$(dirname "$0")/../lib.sh"
for mode in lib sys; do
	# (the log in a file: ASan writes a warning of its own on stderr for
	# a clone's stack)
	env SOCKSHIM_LOG="$WORK/$mode.log" $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/clone_files" "$mode" \
		>"$WORK/$mode.out" 2>"$WORK/$mode.err" ||
		{ rc=$?; cat "$WORK/$mode.out" "$WORK/$mode.err"; fail "$mode: exit $rc"; }
	parent=$(sed -n 's/^parent \([0-9]*\)$/\1/p' "$WORK/$mode.out")
	[ -n "$parent" ] || { cat "$WORK/$mode.out"; fail "$mode: no parent pid"; }
	check_log "$WORK/$mode.log" --event close_error --count 1
	# the parent's own reset at its exit; none of the child's
	check_log "$WORK/$mode.log" --event close_rst --where pid=$parent --count 1
	n=$(grep '"event":"close_rst"' "$WORK/$mode.log" | grep -vc "\"pid\":$parent,") || true
	[ "$n" = 0 ] || fail "$mode: $n close_rst records of the child's, expected 0"
done
note "the parent's log works after a CLONE_FILES child, and the child's end is not its sockets'"
