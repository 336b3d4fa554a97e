# valgrind memcheck: the integration programs under the shim, with every
# feature on, have no memory error and no definite leak.  (Not passthrough:
# it hands bad pointers to the kernel on purpose.)
# group: servers
. "$(dirname "$0")/../lib.sh"
no_sanitizer "valgrind and the sanitizers do not mix"
command -v valgrind >/dev/null || skip "valgrind is not installed"

n=0
for args in "events double_close" "events unread_data" "events pending_error" "events deep" \
	"threads_close 4 200 busy" "graceful_cases order" "graceful_cases firehose" \
	"signal_close eintr" "daemon_like loop $WORK/data"; do
	rm -f "$WORK/log"
	# shellcheck disable=SC2086
	SOCKSHIM_EVENTS=all SOCKSHIM_GRACEFUL=1 SOCKSHIM_REUSEADDR=1 SOCKSHIM_LINGER_MS=300 \
		SOCKSHIM_LOG="$WORK/log" LD_PRELOAD="$PRELOAD" timeout 300 valgrind -q --error-exitcode=9 \
		--leak-check=full --errors-for-leak-kinds=definite --suppressions="$TOP/tests/valgrind.supp" \
		"$PROGS"/$args >"$WORK/out" 2>&1
	rc=$?
	[ $rc != 9 ] && ! grep -q '^==[0-9]*== [A-Z]' "$WORK/out" ||
		{ grep '^==' "$WORK/out" | head -40; fail "memcheck: $args"; }
	[ $rc = 0 ] || { tail "$WORK/out"; fail "$args: exit $rc"; }
	n=$((n + 1))
done
note "$n programs clean under memcheck"
