# The supervisor's other cures and events, on static programs:
# - reuseaddr: a static server restarts on its port while its last
#   connection is in TIME_WAIT (fails bare, works supervised in both lives);
# - a double close, with the backtraces of both closes;
# - the filter survives fork and exec: a double close in a static program
#   started by a shell that the supervisor started is seen, with its own pid;
# - events=all: the calls themselves, and graceful_close with mode
#   "supervised".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor runs static programs, which no sanitizer runtime is in"
# In a private network namespace: TIME_WAIT must not be dropped because
# the host's table is full of other programs' (tcp_max_tw_buckets).
if [ -z "${TEST_PRIVATE_NET:-}" ] && [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
	trap - EXIT
	rm -rf "$WORK"
	TEST_PRIVATE_NET=1 exec unshare -n bash "$0" "$@"
fi
[ -z "${TEST_PRIVATE_NET:-}" ] || ip link set lo up || fail "lo"
# The kernel's count of resets at close, where it can be asked (a private
# namespace, a private nstat history): a server whose whole answer fits in
# its send buffer may close before the client's request has all arrived,
# and then the close sends FIN, and the reset comes later, not at the close.
export NSTAT_HISTORY="$WORK/nstat.history"
aborts_reset() { [ -n "${TEST_PRIVATE_NET:-}" ] && nstat -n >/dev/null 2>&1; }
aborts_since() { nstat -z TcpExtTCPAbortOnClose 2>/dev/null | awk '/TcpExtTCPAbortOnClose/ {print $2}'; }
# check_rst LOG WANT [check_log conditions...]: the close_rst records of LOG
# number the kernel's aborts on close (in a private namespace), else WANT.
# Where the kernel counted none, every reset came after a close that sent
# FIN (the rest of the request still on its way: TcpExtTCPAbortOnData, bare
# too, 2 runs in 6 of pass_server's on a slow VM): no record, and nothing
# to name.
check_rst() {
	log=$1 want=$2
	shift 2
	if [ -n "${TEST_PRIVATE_NET:-}" ]; then
		want=$(aborts_since)
		if [ "$want" = 0 ]; then
			check_log "$log" --event close_rst --count 0
			note "$log: the kernel counted no abort on close (each reset came after a FIN): no record"
			return 0
		fi
	fi
	check_log "$log" --event close_rst --count "$want"
	[ $# = 0 ] || check_log "$log" --event close_rst "$@"
}
L="$TOP/tools/sockshim"
S="$PROGS/static/seed_server"

# ---- reuseaddr: two lives on one port ----
life() { # port how(bare|sv): 0 if the server served a client
	if [ "$2" = sv ]; then
		"$L" --reuseaddr --log "$WORK/reuse.log" -- "$S" "$1" 1000 1 2>"$WORK/life.err" &
	else
		"$S" "$1" 1000 1 2>"$WORK/life.err" &
	fi
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	for _ in $(seq 100); do
		ss -Htln "sport = :$1" | grep -q . && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid"
		return 1
	fi
	"$PROGS/seed_client" "$1" 22 >"$WORK/life.out" || fail "client: $(cat "$WORK/life.out")"
	wait "$pid"
}
for how in bare sv; do
	port=$(free_port)
	life "$port" "$how" || fail "$how: first life failed: $(cat "$WORK/life.err")"
	for _ in $(seq 20); do
		ss -Htan state time-wait "sport = :$port" | grep -q . && break
		sleep 0.05
	done
	ss -Htan state time-wait "sport = :$port" | grep -q . ||
		fail "$how: no TIME_WAIT on the server's side: $(ss -Htan "sport = :$port or dport = :$port")"
	if life "$port" "$how"; then r=restarted; else r="refused: $(cat "$WORK/life.err")"; fi
	case $how:$r in
	bare:refused*) note "bare: second life $r" ;;
	sv:restarted) note "supervised --reuseaddr: second life restarted" ;;
	*) fail "$how: second life $r" ;;
	esac
done

# ---- double close, both backtraces ----
E="$PROGS/static/events"
"$L" --log "$WORK/dc.log" -- "$E" double_close >"$WORK/dc.out" || fail "events double_close: exit $?"
assert_grep "$WORK/dc.out" '^ok$'
check_log "$WORK/dc.log" --event double_close --where errno=EBADF --backtrace-has second_closer \
	--first-backtrace-has first_closer --count 1
check_log "$WORK/dc.log" --event close_error --count 0
"$L" --log "$WORK/ce.log" -- "$E" close_error >/dev/null || fail "events close_error: exit $?"
check_log "$WORK/ce.log" --event close_error --where errno=EBADF --backtrace-has bad_closer --count 1
"$L" --log "$WORK/se.log" -- "$E" shutdown_error >/dev/null || fail "events shutdown_error: exit $?"
check_log "$WORK/se.log" --event shutdown_error --where errno=ENOTCONN --backtrace-has shutdown_caller --count 1
"$L" --log "$WORK/lz.log" -- "$E" linger_zero >/dev/null || fail "events linger_zero: exit $?"
check_log "$WORK/lz.log" --event close_rst --where reason=linger_zero --backtrace-has abortive_closer --count 1
"$L" --log "$WORK/pe.log" -- "$E" pending_error >/dev/null || fail "events pending_error: exit $?"
check_log "$WORK/pe.log" --event close_pending_error --where errno=ECONNRESET --backtrace-has careless_closer --count 1
note "double_close with both backtraces; a close of a never-opened number is a close_error; shutdown_error, linger_zero, close_pending_error"

# ---- fork and exec: the filter is inherited ----
"$L" --supervise --log "$WORK/fx.log" -- sh -c "\"$E\" double_close; \"$E\" double_close" >/dev/null ||
	fail "sh: exit $?"
check_log "$WORK/fx.log" --event double_close --backtrace-has second_closer --count 2
python3 - "$WORK/fx.log" <<'PY' || fail "the children's records do not carry their own pids"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
sv = [r for r in rs if r["event"] == "supervised"][0]
dc = [r for r in rs if r["event"] == "double_close"]
assert len({r["pid"] for r in dc}) == 2 and all(r["pid"] != sv["pid"] for r in dc), dc
assert all(r["prog"] == "events" for r in dc), [r["prog"] for r in dc]
PY
note "exec'd grandchildren are supervised: two double_close records, own pids, prog=events"

# ---- events=all ----
port=$(free_port)
"$L" --graceful --events all --log "$WORK/all.log" -- "$S" "$port" 100000 1 &
pid=$!
BG_PIDS="$BG_PIDS $pid"
wait_listen "$port"
"$PROGS/seed_client" "$port" 60000 >/dev/null || fail "graceful client"
wait "$pid" || fail "server"
check_log "$WORK/all.log" --event close --at-least 2
check_log "$WORK/all.log" --event graceful_close --where mode=supervised --backtrace-has answer_and_close --count 1
note "events=all: close records; graceful_close mode=supervised"

# ---- a connection the kernel closes at exit (no close call) ----
X="$PROGS/static/exit_server"
for how in plain graceful; do
	port=$(free_port)
	if [ $how = plain ]; then
		"$L" --log "$WORK/exit.log" -- "$X" "$port" 1000000 &
	else
		"$L" --graceful --log "$WORK/exitg.log" -- "$X" "$port" 1000000 &
	fi
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_listen "$port"
	aborts_reset
	out=$("$PROGS/seed_client" "$port" 60000)
	wait "$pid" || fail "exit_server: exit $?"
	case $how:$out in
	plain:*"reset by peer"*)
		check_rst "$WORK/exit.log" 1 --where reason=unread_data --backtrace-has answer_and_exit --at-least 1 ;;
	graceful:"received 1000000 bytes, then EOF") ;;
	*) fail "exit_server $how: $out" ;;
	esac
done
note "a connection closed by the kernel at exit: close_rst in answer_and_exit; cured with --graceful"

# ---- a helper spawned per client: its copy of the connection is closed by
# its exec (close-on-exec), so the server's close is the last one ----
SP="$PROGS/static/spawn_server"
for how in plain graceful; do
	port=$(free_port)
	if [ $how = plain ]; then
		"$L" --log "$WORK/spawn.log" -- "$SP" "$port" 1000000 2 "$PROGS/static_hello" >/dev/null &
	else
		"$L" --graceful --log "$WORK/spawng.log" -- "$SP" "$port" 1000000 2 "$PROGS/static_hello" >/dev/null &
	fi
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_listen "$port"
	aborts_reset
	out=$("$PROGS/seed_client" "$port" 60000; "$PROGS/seed_client" "$port" 60000)
	wait "$pid" || fail "spawn_server: exit $?"
	case $how in
	plain)
		[ "$(echo "$out" | grep -c 'reset by peer')" = 2 ] || fail "spawn_server bare-like: $out"
		check_rst "$WORK/spawn.log" 2 --backtrace-has spawn_answer_close --at-least 1 ;;
	graceful)
		[ "$(echo "$out" | grep -c '^received 1000000 bytes, then EOF$')" = 2 ] || fail "spawn_server graceful: $out" ;;
	esac
done
note "a helper spawned per client: close_rst each, cured with --graceful (the exec's closes are counted)"

# ---- a connection handed to a worker process (SCM_RIGHTS), the acceptor
# closing its copy at once: that close is not the last (no close_rst for it,
# no lingering that would cut the worker's answer) ----
PS="$PROGS/static/pass_server"
for how in plain graceful; do
	port=$(free_port)
	if [ $how = plain ]; then
		"$L" --log "$WORK/pass.log" -- "$PS" "$port" 1000000 3 &
	else
		"$L" --graceful --log "$WORK/passg.log" -- "$PS" "$port" 1000000 3 &
	fi
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_listen "$port"
	aborts_reset
	out=$(for i in 1 2 3; do "$PROGS/seed_client" "$port" 60000; done)
	wait "$pid" || fail "pass_server: exit $?"
	case $how in
	plain)
		[ "$(echo "$out" | grep -c 'reset by peer')" = 3 ] || fail "pass_server: $out"
		# one per reset at close, at the connection's last close: the
		# worker's, or the acceptor's when the worker was quicker
		check_rst "$WORK/pass.log" 3 --backtrace-has worker_answer --at-least 1 ;;
	graceful)
		[ "$(echo "$out" | grep -c '^received 1000000 bytes, then EOF$')" = 3 ] || fail "pass_server graceful: $out" ;;
	esac
done
note "a connection passed to a worker (SCM_RIGHTS): close_rst == the kernel's aborts on close, at each connection's last close; --graceful cures without cutting it"
