#!/bin/sh
# A static 32-bit x86 program under the supervisor (sockshim --supervise,
# which the launcher picks for a static program): the seed's case as for
# the 64-bit static server, and a double close with both backtraces.
# Before the fix: the filter named only x86_64's calls, and the kernel
# killed the program at its first 32-bit system call that a filter did not
# expect: "server exit 159" (SIGSYS), where bare it served and exited 0.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor runs static programs, which no sanitizer runtime is in"
S="$PROGS/static32/seed_server"
E="$PROGS/static32/events"
[ -x "$S" ] && [ -x "$E" ] && [ -x "$PROGS/static32/pass_server" ] || skip "no static i386 programs (gcc-multilib)"
i386_runs || skip "this kernel does not run 32-bit x86 programs (Exec format error)"
L="$TOP/tools/sockshim"

out=$(seed_life "$WORK/none" "$S" "$PROGS/seed_client" bare)
case $out in *"Connection reset by peer"*) ;; *) fail "bare: no reset: $out" ;; esac
note "static i386, bare: $out"

out=$(seed_life "$WORK/c.log" "$S" "$PROGS/seed_client")
case $out in *"Connection reset by peer"*) ;; *) fail "supervised without graceful: changed the outcome: $out" ;; esac
check_log "$WORK/c.log" --event supervised --count 1
check_log "$WORK/c.log" --event close_rst --where reason=unread_data --backtrace-has answer_and_close --count 1
check_log "$WORK/c.log" --module-has static32/seed_server
note "static i386, supervised: one close_rst in answer_and_close"

out=$(seed_life "$WORK/cg.log" "$S" "$PROGS/seed_client" --graceful)
[ "$out" = "received 4000000 bytes, then EOF" ] || fail "graceful: $out"
check_log "$WORK/cg.log" --event close_rst --count 0
note "static i386, --graceful: $out"

# a double close: both backtraces, each naming its closer
out=$("$L" --log "$WORK/d.log" -- "$E" double_close) || fail "events double_close: exit $?: $out"
[ "$out" = ok ] || fail "events double_close: $out"
check_log "$WORK/d.log" --event double_close --backtrace-has second_closer --count 1
python3 - "$WORK/d.log" <<'PY' || fail "double_close's first_backtrace"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if '"double_close"' in l][0]
names = [f.get("symbol", "") for f in r.get("first_backtrace", [])]
assert any(n.startswith("first_closer") for n in names), names
PY
note "static i386 double close: both backtraces"

# a connection handed to a worker process (SCM_RIGHTS, in i386's struct
# msghdr), the acceptor closing its copy at once: graceful does not cut
# the worker's answer
P="$PROGS/static32/pass_server"
port=$(free_port)
"$L" --graceful --log "$WORK/pass.log" -- "$P" "$port" 1000000 3 &
pid=$!
BG_PIDS="$BG_PIDS $pid"
wait_listen "$port"
out=$(for i in 1 2 3; do "$PROGS/seed_client" "$port" 60000; done)
wait "$pid" || fail "pass_server: exit $?"
[ "$(echo "$out" | grep -c '^received 1000000 bytes, then EOF$')" = 3 ] || fail "pass_server graceful: $out"
note "static i386, a connection passed to a worker, --graceful: 3 whole answers"

# --reuseaddr/--reuseport: a 32-bit program that clears the options after
# its bind gets them kept, as a 64-bit one does.  Its libc reaches
# setsockopt through socketcall(2), whose arguments the filter cannot read:
# the rule named them, libseccomp compared socketcall's own, and no
# setsockopt was ever trapped (the review of 9d7f246; before: "addr 1 0
# port 1 0")
R32="$PROGS/static32/reuse_cleared"
if [ -x "$R32" ]; then
	out=$("$L" --reuseaddr --reuseport --log "$WORK/r.log" -- "$R32") || fail "reuse_cleared: exit $?"
	[ "$out" = "addr 1 1 port 1 1" ] || fail "static i386, the options cleared: $out"
	note "static i386, --reuseaddr --reuseport: $out"
fi

# the exit status passes through
"$E" bogus >/dev/null 2>&1
bare=$?
"$L" --log "$WORK/x.log" -- "$E" bogus >/dev/null 2>&1
rc=$?
[ "$bare" != 0 ] && [ "$rc" = "$bare" ] || fail "exit status: bare $bare, supervised $rc"
note "exit status $rc as bare"
