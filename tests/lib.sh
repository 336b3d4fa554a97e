# Helpers for the integration tests (tests/integration/*.sh), sourced by each.
#
# A test exits 0 when it passes, 77 when it cannot run here (skip, with the
# reason on stderr), anything else when it fails.  Every process it starts in
# the background is registered with `bg_start` and killed by pid on exit.

set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
B="$TOP/build"
SHIM="$B/libsockshim.so"
PROGS="$B/progs"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sockshim-test.XXXXXX")
BG_PIDS=""
MAIN_PID=$$

# Nothing of the caller's configuration may leak into a test.
for v in $(env | sed -n 's/^\(SOCKSHIM_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
unset LD_PRELOAD
# Tests count every record: no rate limit unless a test asks for one
# (tests/integration/rate_limit.sh does; SOCKSHIM_RATE's default is 10/60).
export SOCKSHIM_RATE=0

cleanup() {
	# bash may run this trap in a $(...) subshell too: only the test's own
	# shell cleans up.
	[ "${BASHPID:-$$}" = "$MAIN_PID" ] || return 0
	for p in $BG_PIDS; do kill "$p" 2>/dev/null; done
	for p in $BG_PIDS; do wait "$p" 2>/dev/null; done
	# never into a file system mounted under $WORK (a test's /proc, a
	# bind mount): what is there is not the test's to remove
	rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*" >&2; exit 77; }
note() { echo "  $*"; }

# Runs a command in the background; its pid is in $BG_PID.
bg_start() {
	# (shim is a function: run in the background it would be a subshell,
	# and bg_stop would kill the subshell and leave the program running)
	if [ "$1" = shim ]; then
		shift
		set -- env LD_PRELOAD="$PRELOAD${LD_PRELOAD:+:$LD_PRELOAD}" "$@"
	fi
	"$@" &
	BG_PID=$!
	BG_PIDS="$BG_PIDS $BG_PID"
}

# Stops a background process by pid and waits for it.
bg_stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# A loopback TCP port that nothing listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits (up to ~10 s) until something listens on 127.0.0.1:$1, without
# connecting to it (a one-shot server must keep its one connection).
wait_listen() {
	for _ in $(seq 200); do
		ss -Htln "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	fail "nothing listens on port $1"
}

# What LD_PRELOAD gets: the shim, after the sanitizer runtime in a
# sanitizer build (`make check SAN=...`), which must come first.
FLAVOR=$(cat "$B/.flavor" 2>/dev/null || echo plain)
case $FLAVOR in
*address*) PRELOAD="$(${CC:-cc} -print-file-name=libasan.so):$SHIM" ;;
*thread*) PRELOAD="$(${CC:-cc} -print-file-name=libtsan.so):$SHIM" ;;
*) PRELOAD=$SHIM ;;
esac
# Sanitizer findings fail the program that has them; programs nobody here
# wrote (python, curl) are not checked for leaks.
export ASAN_OPTIONS="detect_leaks=0:verify_asan_link_order=0:halt_on_error=1:exitcode=97"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=98"
export TSAN_OPTIONS="halt_on_error=1:exitcode=99:report_signal_unsafe=0:suppressions=$TOP/tests/tsan.supp"

# Under ThreadSanitizer, no backtraces: libunwind (not instrumented) frees
# its per-thread cache in a thread-exit destructor that runs after TSan has
# finished the thread, and crashes inside TSan's mutex interceptor.  The
# shim's own code runs the same either way.
SAN_VARS=""
case $FLAVOR in *thread*) SAN_VARS="SOCKSHIM_BACKTRACE=0" ;; esac

# A test that cannot mean anything in a sanitizer build says so and skips.
# Whether this kernel runs 32-bit x86 programs: a VM may give its guests
# no 32-bit mode, and their exec fails (ENOEXEC, "Exec format error"; the
# shell's status 126) where gcc -m32 built them all the same.
i386_runs() {
	[ -x "$PROGS/static32/events" ] || return 1
	"$PROGS/static32/events" >/dev/null 2>&1
	[ $? != 126 ]
}
no_sanitizer() { [ "$FLAVOR" = plain ] || skip "$* (not in a $FLAVOR build)"; }

# Runs a command under the shim.
shim() { LD_PRELOAD="$PRELOAD${LD_PRELOAD:+:$LD_PRELOAD}" "$@"; }

# Asserts that file $1 contains a line matching the extended regex $2.
assert_grep() {
	grep -Eq -- "$2" "$1" || { echo "--- $1:"; head -50 "$1"; fail "no line matching /$2/ in $1"; }
}

# Asserts that every line of file $1 is one JSON object.
assert_json_lines() {
	python3 - "$1" <<'PY' || fail "invalid JSON in $1"
import json, sys
for n, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    try:
        assert isinstance(json.loads(line), dict)
    except Exception as e:
        print(f"line {n}: {e}: {line!r}", file=sys.stderr)
        sys.exit(1)
PY
}

# check_log LOG [conditions]: see tests/check_log.py.
check_log() {
	python3 "$TOP/tests/check_log.py" "$@" || { echo "--- $1:"; head -c 3000 "$1"; echo; fail "log check failed"; }
}

# Runs the rest of the test in a private mount namespace (unshare -m): the
# script starts again there, once, and what it mounts (a /dev/log, a
# journal's directories) is seen by nothing else on the machine.  Skips
# where that cannot be done.
private_mounts() {
	[ -n "${TEST_PRIVATE_MOUNTS:-}" ] && return 0
	[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
	unshare -m --propagation private true 2>/dev/null || skip "cannot make a mount namespace here (unshare -m)"
	trap - EXIT
	rm -rf "$WORK"
	TEST_PRIVATE_MOUNTS=1 exec unshare -m --propagation private bash "$0" "$@"
}

# In the private mount namespace: /dev becomes an overlay of the real one,
# whose changes (the test's /dev/log) stay in $WORK.
private_dev() {
	[ -n "${TEST_PRIVATE_MOUNTS:-}" ] || fail "private_dev outside private_mounts"
	mkdir -p "$WORK/dev-upper" "$WORK/dev-work"
	mount -t overlay overlay -o "lowerdir=/dev,upperdir=$WORK/dev-upper,workdir=$WORK/dev-work" /dev ||
		skip "cannot put an overlay over /dev here"
	rm -f /dev/log
}

# Runs the rest of the test in a fresh network namespace (unshare -n, lo
# up): the kernel's TCP counters there (nstat) count this test's
# connections and nothing else on the machine.  Skips where that cannot be
# done.
private_net() {
	[ -n "${TEST_PRIVATE_NET:-}" ] && return 0
	[ "$(id -u)" = 0 ] || skip "needs root for a private network namespace"
	command -v nstat >/dev/null 2>&1 || skip "nstat (iproute2) is not installed"
	unshare -n true 2>/dev/null || skip "cannot make a network namespace here (unshare -n)"
	trap - EXIT
	rm -rf "$WORK"
	TEST_PRIVATE_NET=1 exec unshare -n sh -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
}

# Fails unless log $1 has "close" records and no descriptor has two from
# one process (a socket ended twice).
assert_closed_once() {
	python3 - "$1" <<'PY' || fail "a descriptor ended twice by one process"
import collections, json, sys
n = collections.Counter((r["pid"], r["fd"]) for r in map(json.loads, open(sys.argv[1]))
                        if r["event"] == "close")
print("  close records per (pid, fd):", dict(n))
sys.exit(0 if n and max(n.values()) == 1 else 1)
PY
}

# A peer on 127.0.0.1:PORT, in the background till the test ends: it
# accepts every connection and keeps it, still (sends nothing, reads
# nothing, never closes).  Returns once it listens.
#   hold_peer PORT
hold_peer() {
	bg_start python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
held = []
while True:
    held.append(s.accept()[0])' "$1"
	wait_listen "$1"
}

# Runs COMMAND under the shim with a connected TCP socket on fd 3 that it
# never saw made (passed through exec, as inetd and sshd pass theirs); the
# peer accepts and keeps still until the command has ended.  The peer's
# port is in $INHERITED_PORT.  Returns the command's status.
#   run_with_inherited_socket [VAR=VALUE...] -- COMMAND...
run_with_inherited_socket() {
	local vars=() rc
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	INHERITED_PORT=$(free_port)
	hold_peer "$INHERITED_PORT"
	# shellcheck disable=SC2086
	(exec 3<>"/dev/tcp/127.0.0.1/$INHERITED_PORT" &&
		exec env $SAN_VARS "${vars[@]}" LD_PRELOAD="$PRELOAD" "$@")
	rc=$?
	bg_stop "$BG_PID"
	return $rc
}

# The kernel's count of resets sent because of a close, in this network
# namespace: TcpExtTCPAbortOnClose (closed with unread data) +
# TcpExtTCPAbortOnLinger (tcp_linger2 < 0 in FIN_WAIT2).  Not a close with
# SO_LINGER {1, 0}: the kernel counts that in TcpExtTCPAbortOnData, with
# the resets it answers data arriving after a close.
kernel_aborts() {
	nstat -a -s -z TcpExtTCPAbortOnClose TcpExtTCPAbortOnLinger |
		awk '/^TcpExtTCPAbortOn/ { n += $2 } END { print n + 0 }'
}

# A forking program under the supervisor while a timer interrupts its
# forks (tests/progs/static/trap_ticks fork; the supervisor's tests of a
# fork made again): FORKS forks under a 2 ms timer, at the default level
# (one close_rst for the kernel's one reset) and with graceful (the
# client's answer whole, no reset); then 100 under a 50 µs timer, faster
# than the supervisor's handling of a fork (the forks are made: bare, 100
# take ~1 s here; a hang is what the timeout catches).  $SV and $P set.
#   sv_fork_rounds LABEL FORKS
sv_fork_rounds() {
	local label=$1 forks=$2 out resets records before
	rm -f "$WORK/default.log" "$WORK/graceful.log" "$WORK/fast.log"
	before=$(kernel_aborts)
	out=$(SOCKSHIM_LOG="$WORK/default.log" "$SV" -- "$P" fork "$forks" 2000 2>"$WORK/err") ||
		{ cat "$WORK/err"; fail "${label}default: exit $?"; }
	resets=$(($(kernel_aborts) - before))
	records=$(count_events "$WORK/default.log" close_rst)
	[ "$resets" = 1 ] && [ "$records" = 1 ] ||
		fail "${label}default: $records close_rst records for $resets resets"
	note "${label}default: $records close_rst record for $resets reset"
	before=$(kernel_aborts)
	out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/graceful.log" "$SV" -- "$P" fork "$forks" 2000 \
		2>"$WORK/err") || { cat "$WORK/err"; fail "${label}graceful: exit $?"; }
	[ "$out" = "client: 7 bytes, then EOF" ] || fail "${label}graceful: the client got '$out'"
	[ "$(($(kernel_aborts) - before))" = 0 ] || fail "${label}graceful: the kernel sent a reset"
	note "${label}graceful: $out"
	before=$(kernel_aborts)
	out=$(SOCKSHIM_LOG="$WORK/fast.log" timeout 300 "$SV" -- "$P" fork 100 50 2>"$WORK/err") ||
		{ cat "$WORK/err"; fail "${label}50 µs timer: exit $?"; }
	resets=$(($(kernel_aborts) - before))
	records=$(count_events "$WORK/fast.log" close_rst)
	[ "$resets" = 1 ] && [ "$records" = 1 ] ||
		fail "${label}50 µs timer: $records close_rst records for $resets resets"
	note "${label}50 µs timer: 100 forks made, $records close_rst record for $resets reset"
}

# tests/progs/epoll_server.c serving 200 clients (tests/epoll_clients.py):
#   epoll_round NAME MODE [COMMAND...]
# the server runs in MODE (lt, et) under COMMAND (env VAR=VALUE..., a
# supervisor...); its output in $WORK/NAME.out, the clients' in
# $WORK/NAME.clients; fails unless every answer came whole and the server
# served them all.
epoll_round() {
	er_name=$1 er_mode=$2
	shift 2
	er_port=$(free_port)
	timeout 25 "$@" "$PROGS/epoll_server" "$er_mode" "$er_port" 200 \
		>"$WORK/$er_name.out" 2>"$WORK/$er_name.err" &
	er_pid=$!
	BG_PIDS="$BG_PIDS $er_pid"
	wait_listen "$er_port"
	timeout 25 python3 "$TOP/tests/epoll_clients.py" "$er_port" 200 20 >"$WORK/$er_name.clients" 2>&1
	er_crc=$?
	wait "$er_pid"
	er_src=$?
	[ "$er_src" = 0 ] || { cat "$WORK/$er_name.err"; fail "$er_name: server exit $er_src"; }
	[ "$er_crc" = 0 ] || { cat "$WORK/$er_name.clients"; fail "$er_name: clients exit $er_crc"; }
	assert_grep "$WORK/$er_name.clients" "^whole 200$"
	assert_grep "$WORK/$er_name.out" "^served 200$"
}

# A race made certain by a seccomp trap inside the program, against the
# kernel's count (in a private network namespace: call private_net first):
#   no_reset_when_trapped LABEL LOG UNSHOWN COMMAND...
# COMMAND runs under the shim, logging to LOG; it exits 0, 77 (no seccomp
# filter here: skip) or 4 (the trap never fired: fail with UNSHOWN).  Then
# the kernel must have sent no reset, and LOG must hold no close_rst.
no_reset_when_trapped() {
	nr_label=$1 nr_log=$2 nr_unshown=$3
	shift 3
	nr_before=$(kernel_aborts)
	nr_rc=0
	SOCKSHIM_LOG="$nr_log" env $SAN_VARS LD_PRELOAD="$PRELOAD" "$@" || nr_rc=$?
	[ $nr_rc != 77 ] || skip "no seccomp filter here, or not x86_64 (the trap reads its registers)"
	[ $nr_rc != 4 ] || fail "$nr_label$nr_unshown: the case does not show"
	[ $nr_rc = 0 ] || fail "${nr_label}the program exited $nr_rc (3: the client saw a reset)"
	sleep 0.1
	nr_aborts=$(($(kernel_aborts) - nr_before))
	nr_rst=$(count_events "$nr_log" close_rst)
	note "$nr_label$nr_aborts resets, $nr_rst close_rst records"
	[ "$nr_aborts" = 0 ] || fail "${nr_label}the kernel counted $nr_aborts resets: the case does not show here"
	[ "$nr_rst" = 0 ] || fail "$nr_label$nr_rst close_rst records for no reset: $(cat "$nr_log")"
}

# The number of records of event $2 in log $1 (0 if there is no log).
count_events() {
	[ -f "$1" ] || { echo 0; return; }
	python3 - "$1" "$2" <<'PY'
import json, sys
print(sum(1 for l in open(sys.argv[1], encoding="utf-8") if json.loads(l)["event"] == sys.argv[2]))
PY
}

# The seed's bug in one runtime, against the kernel's count (in a private
# network namespace: call private_net first):
#   seed_runtime NAME FRAME REQUEST_BYTES COMMAND...
# COMMAND PORT ANSWER_BYTES CLIENTS is a server that reads the first part of
# each request, answers ANSWER_BYTES and closes with the rest unread.
# Checks: bare, the client sees a reset and the kernel counts one; under
# the shim, exactly one close_rst whose backtrace has a frame whose symbol
# starts with FRAME (none: "") and as many close_rst as the kernel's
# resets; at events=all, a close record; under SOCKSHIM_GRACEFUL=1, the
# whole answer and EOF, and no reset counted.
# SR_FIN_FIRST=1: the runtime shuts its sending side down before the close
# (the JDK does): the reset may come after the client has read its EOF, and
# the proof of the reset is the kernel's count alone; the client keeps its
# end open 500 ms after the EOF (had it closed it at once, the server's
# socket could be done, TIME_WAIT, before the server closed it, and the
# close would send nothing).  SR_STREAMING=1: the
# server streams until it closes (ANSWER_BYTES is where it starts to
# close): under graceful, any length of answer, then EOF.  SR_NO_CURE=1: a
# reset graceful close cannot prevent (the last close of a socket shared by
# fork): under graceful, only close_rst == the kernel's count.
# Go for a test: skips where it is not installed; sets G, where the test's
# Go programs are built (build/go), with the build's own cache.
go_setup() {
	command -v go >/dev/null || skip "Go is not installed (Debian package golang-go)"
	G="$B/go"
	mkdir -p "$G"
	export GOCACHE="$B/gocache" GOFLAGS=-mod=mod GOTOOLCHAIN=local
}

# One life of a seed-like server (PORT ANSWER_BYTES 1) and its client
# (PORT 60000), the client's words on stdout:
#   seed_life LOG SERVER CLIENT bare
#   seed_life LOG SERVER CLIENT [LAUNCHER OPTIONS...]   (tools/sockshim --log LOG)
# fails unless the server exits 0.
seed_life() {
	sl_log=$1 sl_server=$2 sl_client=$3
	shift 3
	sl_port=$(free_port)
	if [ "${1:-}" = bare ]; then
		"$sl_server" "$sl_port" 4000000 1 &
	else
		"$TOP/tools/sockshim" --log "$sl_log" "$@" -- "$sl_server" "$sl_port" 4000000 1 &
	fi
	sl_pid=$!
	BG_PIDS="$BG_PIDS $sl_pid"
	wait_listen "$sl_port"
	"$sl_client" "$sl_port" 60000
	wait "$sl_pid" || fail "server exit $?"
}

seed_runtime() {
	sr_name=$1 sr_frame=$2 sr_req=$3
	shift 3
	sr_answer=4000000
	sr_run() { # LABEL [VAR=VALUE...] -- COMMAND...
		sr_label=$1
		shift
		sr_env=""
		while [ "$1" != -- ]; do sr_env="$sr_env $1"; shift; done
		shift
		sr_port=$(free_port)
		sr_before=$(kernel_aborts)
		if [ "$sr_label" = bare ]; then
			bg_start "$@" "$sr_port" "$sr_answer" 1
		else
			# shellcheck disable=SC2086
			bg_start env $sr_env SOCKSHIM_LOG="$WORK/$sr_name.$sr_label.log" \
				LD_PRELOAD="$PRELOAD" "$@" "$sr_port" "$sr_answer" 1
		fi
		wait_listen "$sr_port"
		timeout 60 "$PROGS/seed_client" "$sr_port" "$sr_req" ${SR_FIN_FIRST:+500} >"$WORK/$sr_name.$sr_label.out"
		sr_rc=$?
		wait "$BG_PID" || fail "$sr_name $sr_label: the server exited $?"
		sleep 0.1
		sr_aborts=$(($(kernel_aborts) - sr_before))
		sr_rst=$(count_events "$WORK/$sr_name.$sr_label.log" close_rst)
		note "$sr_name $sr_label: $(cat "$WORK/$sr_name.$sr_label.out"); kernel resets $sr_aborts, close_rst $sr_rst"
		return $sr_rc
	}
	if ! sr_run bare -- "$@" || [ -z "${SR_FIN_FIRST:-}" ]; then
		assert_grep "$WORK/$sr_name.bare.out" "then Connection reset by peer"
	fi
	[ "$sr_aborts" = 1 ] || fail "$sr_name bare: the kernel counted $sr_aborts resets, expected 1"

	sr_run shim -- "$@" && [ -z "${SR_FIN_FIRST:-}" ] &&
		fail "$sr_name shim: the shim changed the outcome without SOCKSHIM_GRACEFUL"
	[ "$sr_rst" = "$sr_aborts" ] || fail "$sr_name shim: $sr_rst close_rst records, the kernel sent $sr_aborts resets"
	if [ -n "$sr_frame" ]; then
		python3 - "$WORK/$sr_name.shim.log" "$sr_frame" <<'PY' || fail "$sr_name shim: no close_rst with a frame $sr_frame*"
import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l)
    if r["event"] == "close_rst" and any((f.get("symbol") or "").startswith(sys.argv[2]) for f in r.get("backtrace", [])):
        sys.exit(0)
sys.exit(1)
PY
	fi
	check_log "$WORK/$sr_name.shim.log" --event close_rst --where reason=unread_data --count 1

	sr_run all SOCKSHIM_EVENTS=all -- "$@" && [ -z "${SR_FIN_FIRST:-}" ] && fail "$sr_name events=all: no reset"
	[ "$sr_rst" = "$sr_aborts" ] || fail "$sr_name events=all: $sr_rst close_rst records, the kernel sent $sr_aborts resets"
	check_log "$WORK/$sr_name.all.log" --event close --where family=inet --at-least 1
	check_log "$WORK/$sr_name.all.log" --event accept --at-least 1

	if [ -n "${SR_NO_CURE:-}" ]; then
		sr_run graceful SOCKSHIM_GRACEFUL=1 -- "$@"
		[ "$sr_rst" = "$sr_aborts" ] || fail "$sr_name graceful: $sr_rst close_rst records, the kernel sent $sr_aborts resets"
		return 0
	fi
	sr_run graceful SOCKSHIM_GRACEFUL=1 SOCKSHIM_EVENTS=all -- "$@" ||
		fail "$sr_name graceful: $(cat "$WORK/$sr_name.graceful.out")"
	if [ -n "${SR_STREAMING:-}" ]; then
		assert_grep "$WORK/$sr_name.graceful.out" "^received [0-9]+ bytes, then EOF$"
	else
		assert_grep "$WORK/$sr_name.graceful.out" "^received $sr_answer bytes, then EOF$"
	fi
	[ "$sr_aborts" = 0 ] || fail "$sr_name graceful: the kernel still sent $sr_aborts resets"
	# (when the runtime's own FIN went first and the client was done before
	# the close, there is nothing left to linger on: no record then)
	if [ -n "${SR_FIN_FIRST:-}" ]; then
		check_log "$WORK/$sr_name.graceful.log" --event graceful_timeout --count 0
	else
		check_log "$WORK/$sr_name.graceful.log" --event graceful_close --count 1
	fi
	[ "$sr_rst" = 0 ] || fail "$sr_name graceful: $sr_rst close_rst records"
}

# One life of tests/progs/clone_server MODE (its child made that way reads
# the whole request and answers 100 ms after the parent's close of its
# copy) under the shim, N clients, with SOCKSHIM_GRACEFUL=graceful: every
# answer must be whole, and the close_rst records the kernel's resets
# (regress_clone_child_holds_sockets, regress_underscore_fork_holds_sockets).
# In a private network (private_net); the resets in cs_resets.
clone_server_holds() { # mode graceful N
	cs_mode=$1 cs_graceful=$2 cs_n=$3
	cs_port=$(free_port)
	cs_log="$WORK/$cs_mode.$cs_graceful.log"
	cs_before=$(kernel_aborts)
	: >"$WORK/clients"
	env SOCKSHIM_GRACEFUL="$cs_graceful" SOCKSHIM_LOG="$cs_log" $SAN_VARS LD_PRELOAD="$PRELOAD" \
		"$PROGS/clone_server" "$cs_mode" "$cs_port" 1000 "$cs_n" >"$WORK/server.out" 2>&1 &
	cs_pid=$!
	BG_PIDS="$BG_PIDS $cs_pid"
	wait_listen "$cs_port"
	for cs_i in $(seq "$cs_n"); do
		"$PROGS/seed_client" "$cs_port" 100 >>"$WORK/clients" 2>&1
	done
	wait "$cs_pid" || { cs_rc=$?; cat "$WORK/server.out"; fail "$cs_mode: server exit $cs_rc"; }
	cs_whole=$(grep -c '^received 1000 bytes, then EOF$' "$WORK/clients")
	cs_resets=$(($(kernel_aborts) - cs_before))
	cs_records=$(count_events "$cs_log" close_rst)
	[ "$cs_whole" = "$cs_n" ] || { cat "$WORK/clients"; fail "$cs_mode, graceful=$cs_graceful: $cs_whole of $cs_n answers whole"; }
	[ "$cs_records" = "$cs_resets" ] ||
		fail "$cs_mode, graceful=$cs_graceful: $cs_records close_rst records for $cs_resets resets"
}

# A program that beats, for the supervisor's stop tests: beating_prog FILE
# SETUP writes a python program to FILE that runs SETUP (its signal
# handlers; os, signal, socket, sys and time imported), then makes and
# closes a socket every 20 ms (a trapped close) and writes the count to
# ARGV1.beats; a SIGTERM ends it with exit 7.
beating_prog() {
	{
		printf 'import os, signal, socket, sys, time\n%s\n' "$2"
		cat <<'PY'
signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))
n = 0
while True:
    socket.socket().close()
    n += 1
    with open(sys.argv[1] + ".beats.tmp", "w") as f:
        f.write(str(n))
    os.rename(sys.argv[1] + ".beats.tmp", sys.argv[1] + ".beats")
    time.sleep(0.02)
PY
	} >"$1"
}
# beats BASE: its count now (0 before the first); beating BASE: true if the
# count goes on within 3 s; proc_state PID: the State letter of
# /proc/PID/status (T: stopped)
beats() { cat "$1.beats" 2>/dev/null || echo 0; }
beating() {
	bt_was=$(beats "$1")
	for _ in $(seq 30); do
		sleep 0.1
		[ "$(beats "$1")" -gt "$bt_was" ] && return 0
	done
	return 1
}
proc_state() { awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# records_around_chroot LOG JAIL: python3 under the shim (SOCKSHIM_LOG=LOG)
# makes a record (a close of 999990, never open), chroots into JAIL, then
# makes one more after each of the next 3 seconds (999991..999993: each
# after a rotation check or a retry of the log's opening); fails unless it
# ends well.
records_around_chroot() {
	env SOCKSHIM_LOG="$1" $SAN_VARS LD_PRELOAD="$PRELOAD" "${PY:-python3}" - "$2" >"$WORK/chroot.out" 2>&1 <<'PY' ||
import os, sys, time
def bad(n):
    try:
        os.close(n)
    except OSError:
        pass
bad(999990)
os.chroot(sys.argv[1])
os.chdir("/")
for i in range(3):
    time.sleep(1.1)
    bad(999991 + i)
print("done")
PY
		{ cat "$WORK/chroot.out"; fail "python: exit $?"; }
	assert_grep "$WORK/chroot.out" '^done$'
}

# journald_mounts: after private_mounts, skips without a systemd-journald
# to run, then gives /run and the persistent journal's directory tmpfs of
# the namespace's own (nothing made or changed on the machine); JOURNALD is
# the daemon's path.
journald_mounts() {
	JOURNALD=/lib/systemd/systemd-journald
	[ -x "$JOURNALD" ] || skip "no $JOURNALD here (Debian package systemd)"
	command -v journalctl >/dev/null || skip "no journalctl"
	[ -s /etc/machine-id ] || skip "no /etc/machine-id: journald cannot name its journal"
	mount -t tmpfs tmpfs /run || skip "cannot mount a tmpfs over /run"
	mkdir -p /run/systemd/journal /run/log
	if [ -d /var/log/journal ]; then
		mount -t tmpfs tmpfs /var/log/journal || skip "cannot mount a tmpfs over /var/log/journal"
	else
		mount -t tmpfs tmpfs /var/log && mkdir /var/log/journal || skip "cannot mount a tmpfs over /var/log"
	fi
}

# start_beating LABEL [SUPERVISOR...]: runs $WORK/prog.py (beating_prog)
# with base $WORK/LABEL and SOCKSHIM_LOG=$WORK/LABEL.log, under SUPERVISOR
# if given, and waits for its first beats; sets sb_pid (the pid started),
# sb_prog (the program's own: the supervisor's child) and sb_base.
start_beating() {
	sb_base="$WORK/$1"
	SOCKSHIM_LOG="$WORK/$1.log" "${@:2}" python3 "$WORK/prog.py" "$sb_base" &
	sb_pid=$!
	BG_PIDS="$BG_PIDS $sb_pid"
	beating "$sb_base" || fail "$1: the program did not start"
	sb_prog=$sb_pid
	[ $# = 1 ] || sb_prog=$(pgrep -P "$sb_pid" | head -1)
}

# Runs COMMAND (its output discarded) every 0.1 s until it succeeds, for
# up to 20 s; true if it did.  For what a program does a little after the
# test's last step (its last record, its ready word): a fixed sleep is
# outrun by a loaded machine, two tests at a time.
#   eventually COMMAND...
eventually() {
	for _ in $(seq 200); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# Waits for FILE to exist (a program's word that it is ready: after its
# trap, its first record), else fails with "WHAT".
#   wait_file FILE WHAT
wait_file() { eventually test -e "$1" || fail "$2"; }

# Fails unless `make -n TARGET`, in a copy of the tree (its tracked files)
# whose build/ is empty, links the library, the supervisor and the report:
# asked of make itself, without building.  Skips outside a git checkout.
#   assert_target_builds_tools TARGET
assert_target_builds_tools() {
	local target=$1 out tool
	command -v git >/dev/null && [ -d "$TOP/.git" ] || skip "not a git checkout"
	rm -rf "$WORK/tree" && mkdir -p "$WORK/tree"
	(cd "$TOP" && git ls-files -z | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$WORK/tree" ||
		fail "copy of the tree"
	out=$(make -C "$WORK/tree" -n "$target" 2>&1) || fail "make -n $target: $out"
	for tool in libsockshim.so sockshim-supervise sockshim-report; do
		echo "$out" | grep -q -- "-o build/$tool\( \|$\)" || fail "make $target builds no $tool"
	done
}
