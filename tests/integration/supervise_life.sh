# The supervisor's life around the program:
# - exit statuses and deaths by signal pass through; SIGTERM/SIGHUP sent to
#   the supervisor reach the program;
# - it exits when the last supervised process has (a background child the
#   program left behind included), and leaves the program no descriptor of
#   its own;
# - killed itself (SIGKILL), it takes the program with it (PR_SET_PDEATHSIG):
#   nothing runs on with every trapped call failing;
# - a program that installs its own seccomp filter, or runs under strace,
#   works and is still seen;
# - bad input: a missing program, a setuid one, a kernel without
#   pidfd_getfd (the call refused with ENOSYS): a clear message, exit 2,
#   nothing run.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor runs static programs, which no sanitizer runtime is in"
SV="$B/sockshim-supervise"
E="$PROGS/static/events"

for status in 0 1 42 255; do
	"$SV" -- "$PROGS/show_env" "$status" >/dev/null 2>&1
	[ $? = "$status" ] || fail "exit status $status not passed through"
done
"$SV" -- sh -c 'kill -TERM $$' 2>/dev/null
[ $? = 143 ] || fail "death by signal not passed through"
note "exit statuses and deaths by signal pass through"

for sig in TERM HUP USR1; do
	# (the signal once sh's trap is set: before it, the signal ends sh)
	"$SV" -- sh -c "trap 'echo got $sig; kill \$!; exit 3' $sig; : >'$WORK/trap.$sig'; sleep 10 & wait" \
		>"$WORK/sig.out" 2>/dev/null &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_file "$WORK/trap.$sig" "SIG$sig: the program did not start"
	kill -"$sig" "$pid"
	wait "$pid"
	rc=$?
	[ $rc = 3 ] && grep -qx "got $sig" "$WORK/sig.out" || fail "SIG$sig: exit $rc, $(cat "$WORK/sig.out")"
done
note "SIGTERM, SIGHUP, SIGUSR1 to the supervisor reach the program"

# the last supervised process: a background child outlives the program
start=$(date +%s%N)
"$SV" -- sh -c 'sleep 1 & exit 5' 2>/dev/null
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
[ $rc = 5 ] && [ $ms -ge 900 ] || fail "left child: exit $rc after $ms ms"
note "waits for the program's leftover child (${ms} ms), exits with the program's status"

# no descriptor of the supervisor's reaches the program
ls /proc/self/fd >"$WORK/fd.bare"
"$SV" -- ls /proc/self/fd >"$WORK/fd.sv" 2>/dev/null || fail "ls: exit $?"
diff "$WORK/fd.bare" "$WORK/fd.sv" >/dev/null || fail "descriptors differ: $(tr '\n' ' ' <"$WORK/fd.sv") vs $(tr '\n' ' ' <"$WORK/fd.bare")"
note "the program's descriptors are bare's: $(tr '\n' ' ' <"$WORK/fd.sv")"

# the supervisor killed: the program goes too
"$SV" -- "$PROGS/static/seed_server" "$(free_port)" 10 1 2>/dev/null &
svpid=$!
BG_PIDS="$BG_PIDS $svpid"
child=""
for _ in $(seq 50); do # (a loaded machine starts it late)
	child=$(pgrep -P "$svpid") && break
	sleep 0.1
done
[ -n "$child" ] || fail "no program under the supervisor"
kill -KILL "$svpid"
wait "$svpid" 2>/dev/null
for _ in $(seq 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.05; done
kill -0 "$child" 2>/dev/null && { kill -KILL "$child"; fail "the program outlived its supervisor"; }
note "supervisor killed: the program was killed with it"

# its own seccomp filter; strace
"$SV" -- "$PROGS/deny_syscall" 9999 "$E" double_close >"$WORK/own.out" 2>"$WORK/own.log" || fail "own filter: exit $?"
assert_grep "$WORK/own.out" '^ok$'
check_log "$WORK/own.log" --event double_close --count 1
if command -v strace >/dev/null; then
	"$SV" -- strace -f -o "$WORK/strace.out" "$E" double_close >"$WORK/st.out" 2>"$WORK/st.log" || fail "strace: exit $?"
	assert_grep "$WORK/st.out" '^ok$'
	check_log "$WORK/st.log" --event double_close --count 1
	assert_grep "$WORK/strace.out" 'close\(3\) += -1 EBADF'
	note "a program with its own seccomp filter, and one under strace -f: work, and are seen"
fi

# bad input
"$SV" -- /no/such/program 2>"$WORK/err"
[ $? = 2 ] && grep -q "no such program" "$WORK/err" || fail "missing program: $(cat "$WORK/err")"
cp "$PROGS/show_env" "$WORK/suid"
chmod u+s "$WORK/suid"
"$SV" -- "$WORK/suid" 0 >"$WORK/out" 2>"$WORK/err"
[ $? = 2 ] && grep -q "setuid" "$WORK/err" && [ ! -s "$WORK/out" ] || fail "setuid: $(cat "$WORK/err")"
nr=$(printf '#include <sys/syscall.h>\nSYS_pidfd_getfd\n' | ${CC:-cc} -E -P -x c - | tail -1)
"$PROGS/deny_syscall" "$nr" "$SV" -- touch "$WORK/ran" 2>"$WORK/err"
[ $? = 2 ] && grep -q "pidfd_getfd" "$WORK/err" && [ ! -e "$WORK/ran" ] || fail "no pidfd_getfd: $(cat "$WORK/err")"
note "refused, exit 2, nothing ran: $(cat "$WORK/err")"

# bad variables: one config_error each, from the supervisor, and the default
SOCKSHIM_GRACEFULL=1 SOCKSHIM_LINGER_MS=soon "$SV" -- true 2>"$WORK/cfg.log" || fail "config errors: exit $?"
check_log "$WORK/cfg.log" --event config_error --where variable=SOCKSHIM_GRACEFULL --count 1
check_log "$WORK/cfg.log" --event config_error --where variable=SOCKSHIM_LINGER_MS --count 1
note "bad variables: a config_error each, the program ran"

# no descriptor of the supervisor's own is left behind by what it handled:
# after 1 and after 40 clients of a forking server (pidfds of 40 children,
# copies of 80 sockets, 40 lingering), it holds as many as before.  Its
# handling ends a little after the client has its answer (the child
# reaped, its pidfd closed, the lingering done): the count is read once it
# has held still for 0.5 s, and after the 40 awaited (up to 20 s) until it
# is back where it was, not after a fixed sleep a loaded machine outruns.
count_fds() { ls "/proc/$1/fd" | wc -l; }
settled_fds() { # PID [TARGET]: the count once still for 0.5 s, or once at TARGET
	sf_last=$(count_fds "$1") sf_still=0 sf_tries=0
	while [ "$sf_tries" -lt 200 ] && [ "$sf_last" != "${2:-}" ] &&
		{ [ -n "${2:-}" ] || [ "$sf_still" -lt 5 ]; }; do
		sleep 0.1
		sf_now=$(count_fds "$1")
		if [ "$sf_now" = "$sf_last" ]; then sf_still=$((sf_still + 1)); else sf_still=0; fi
		sf_last=$sf_now sf_tries=$((sf_tries + 1))
	done
	echo "$sf_last"
}
port=$(free_port)
SOCKSHIM_GRACEFUL=1 "$SV" -- "$PROGS/static/fork_server" "$port" 100000 42 2>/dev/null &
svpid=$!
BG_PIDS="$BG_PIDS $svpid"
wait_listen "$port"
"$PROGS/seed_client" "$port" 60000 >/dev/null
before=$(settled_fds "$svpid")
for i in $(seq 40); do "$PROGS/seed_client" "$port" 60000 >/dev/null; done
after=$(settled_fds "$svpid" "$before")
"$PROGS/seed_client" "$port" 60000 >/dev/null
wait "$svpid" || fail "fork_server: exit $?"
[ -n "$before" ] || fail "no descriptor count"
[ "$after" = "$before" ] || fail "the supervisor held $before descriptors after 1 client, $after after 41"
note "the supervisor's descriptors: $before after 1 client, $after after 41"
