# Regression: a child made by libc's clone() without CLONE_VM that returned
# from its function never ended under SOCKSHIM_GRACEFUL=1, when it had
# made a lingering close: glibc ends only the calling thread (SYS_exit),
# and the shim's background thread kept the process alive; the parent's
# waitpid never returned (found by a helper's sweep, with plain,
# CLONE_NEWPID and CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWNET children).
# Before: "timeout: the parent still waits for its child after 20 s".
. "$(dirname "$0")/../lib.sh"
for graceful in 0 1; do
	rc=0
	env SOCKSHIM_GRACEFUL=$graceful SOCKSHIM_LINGER_MS=1000 $SAN_VARS LD_PRELOAD="$PRELOAD" \
		timeout 20 "$PROGS/clone_child_returns" >"$WORK/out" 2>&1 || rc=$?
	[ "$rc" != 124 ] || fail "graceful=$graceful: timeout: the parent still waits for its child after 20 s"
	[ "$rc" = 0 ] || { cat "$WORK/out"; fail "graceful=$graceful: exit $rc"; }
	assert_grep "$WORK/out" '^child ended 3$'
done
note "the child ended with its function's status, graceful or not"
