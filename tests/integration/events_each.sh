# Each event of the contract, caused by a small program whose functions
# must appear in the logged backtrace (innermost frame first: the call
# site), with the fields the contract names.
. "$(dirname "$0")/../lib.sh"

run() { # mode [VAR=VALUE...]: runs events MODE under the shim (a LD_PRELOAD among the
       # variables replaces the plain one), log in $WORK/MODE.log
	mode=$1
	shift
	rm -f "$WORK/$mode.log"
	env LD_PRELOAD="$PRELOAD" "$@" SOCKSHIM_LOG="$WORK/$mode.log" "$PROGS/events" "$mode" \
		>"$WORK/$mode.out" 2>"$WORK/$mode.err" || { cat "$WORK/$mode.err"; fail "events $mode: exit $?"; }
	assert_grep "$WORK/$mode.out" '^ok$'
	[ ! -s "$WORK/$mode.err" ] || { cat "$WORK/$mode.err"; fail "the shim wrote to the program's stderr"; }
}

run double_close
check_log "$WORK/double_close.log" --event double_close --where errno=EBADF \
	--backtrace-has second_closer --first-backtrace-has first_closer --count 1
# the innermost frame is the program's call site
python3 - "$WORK/double_close.log" <<'PY' || fail "innermost frame is not second_closer"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][0]
assert r["backtrace"][0]["symbol"].startswith("second_closer+"), r["backtrace"][0]
assert r["first_backtrace"][0]["symbol"].startswith("first_closer+"), r["first_backtrace"][0]
assert r["backtrace"][0]["module"].endswith("/progs/events"), r["backtrace"][0]
assert int(r["backtrace"][0]["offset"], 16) < int(r["backtrace"][0]["ip"], 16)
PY

run close_error
check_log "$WORK/close_error.log" --event close_error --where fd=-1 --where errno=EBADF \
	--where "error=Bad file descriptor" --backtrace-has bad_closer --count 1

run shutdown_error
check_log "$WORK/shutdown_error.log" --event shutdown_error --where errno=ENOTCONN \
	--where family=inet --where type=stream --backtrace-has shutdown_caller --count 1

run setsockopt_error
check_log "$WORK/setsockopt_error.log" --event setsockopt_error --where errno=ENOPROTOOPT \
	--where family=inet6 --where level=SOL_SOCKET --where option=4242 --backtrace-has option_setter --count 1

run unread_data
assert_grep "$WORK/unread_data.out" '^client: Connection reset by peer$'
check_log "$WORK/unread_data.log" --event close_rst --where reason=unread_data --where unread=3984 \
	--where family=inet --backtrace-has rude_closer --count 1
python3 - "$WORK/unread_data.log" <<'PY' || fail "close_rst lacks its addresses"
import json, re, sys
r = [json.loads(l) for l in open(sys.argv[1])][0]
assert re.match(r"^127\.0\.0\.1:\d+$", r["local"]) and re.match(r"^127\.0\.0\.1:\d+$", r["peer"]), r
assert r["local"] != r["peer"] and r["fd"] >= 3, r
PY

run linger_zero
check_log "$WORK/linger_zero.log" --event close_rst --where reason=linger_zero --backtrace-has abortive_closer --count 1

run pending_error
check_log "$WORK/pending_error.log" --event close_pending_error --where errno=ECONNRESET \
	--backtrace-has careless_closer --count 1

# A close that fails with another error than EBADF (EIO, injected by a
# preload stacked after the shim): close_error, and the number counts as
# closed (no double_close later).
run close_eio FAIL_CLOSE_FD=42 LD_PRELOAD="$PRELOAD:$PROGS/fail_close.so"
check_log "$WORK/close_eio.log" --event close_error --where errno=EIO --where fd=42 \
	--where "error=Input/output error" --backtrace-has eio_closer --count 1
check_log "$WORK/close_eio.log" --count 1

# A backtrace deeper than fits: cut at SOCKSHIM_BACKTRACE_DEPTH frames, and
# a record never longer than 4096 bytes, marked truncated when cut.
run deep SOCKSHIM_BACKTRACE_DEPTH=64
python3 - "$WORK/deep.log" <<'PY' || fail "deep backtrace not bounded"
import json, sys
lines = open(sys.argv[1], "rb").read().splitlines(keepends=True)
assert len(lines) == 1 and len(lines[0]) <= 4096, [len(l) for l in lines]
r = json.loads(lines[0])
assert r["event"] == "double_close" and r.get("truncated") is True, r.keys()
assert 10 < len(r["backtrace"]) <= 64, len(r["backtrace"])
assert all(f["symbol"].startswith("deep_closer+") for f in r["backtrace"]), r["backtrace"][:2]
PY

# At the default level, no call events; at events=all, every call.
run calls
[ ! -s "$WORK/calls.log" ] || { cat "$WORK/calls.log"; fail "events at the default level for a clean run"; }
run calls SOCKSHIM_EVENTS=all SOCKSHIM_REUSEADDR=1
for ev in socket accept shutdown close reuseaddr_forced; do
	check_log "$WORK/calls.log" --event "$ev"
done
check_log "$WORK/calls.log" --event socket --count 2
check_log "$WORK/calls.log" --event close --count 3
check_log "$WORK/calls.log" --event accept --where family=inet --count 1

# A unix socket closed with unread data: no RST, so no event.
run unix
[ ! -s "$WORK/unix.log" ] || { cat "$WORK/unix.log"; fail "event for a unix socket"; }

# No backtrace when SOCKSHIM_BACKTRACE=0; depth bound by SOCKSHIM_BACKTRACE_DEPTH.
run double_close SOCKSHIM_BACKTRACE=0
python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); assert "backtrace" not in r and "first_backtrace" not in r, r' \
	"$WORK/double_close.log" || fail "backtrace present with SOCKSHIM_BACKTRACE=0"
run double_close SOCKSHIM_BACKTRACE_DEPTH=1
python3 -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); assert len(r["backtrace"]) == 1, r' \
	"$WORK/double_close.log" || fail "depth 1 not honoured"
# SOCKSHIM_EVENTS=none: nothing at all.
run double_close SOCKSHIM_EVENTS=none
[ ! -s "$WORK/double_close.log" ] || fail "events with SOCKSHIM_EVENTS=none"
note "every event with its fields and the calling function in its backtrace"
