# A real server nobody here wrote (socat TCP-LISTEN without its reuseaddr
# option) cannot restart on its port while the connection it closed first is
# in TIME_WAIT; under the shim with SOCKSHIM_REUSEADDR=1 it can.
. "$(dirname "$0")/../lib.sh"
command -v socat >/dev/null || skip "socat is not installed"

# One server life: listen on $1, answer one client, close first (so the
# server side holds TIME_WAIT).  $2: "shim" to run the server under the shim.
serve_once() {
	port=$1
	if [ "$2" = shim ]; then
		SOCKSHIM_REUSEADDR=1 env LD_PRELOAD="$PRELOAD" socat TCP-LISTEN:"$port",bind=127.0.0.1 \
			SYSTEM:'echo hello' 2>"$WORK/server.err" &
	else
		socat TCP-LISTEN:"$port",bind=127.0.0.1 SYSTEM:'echo hello' 2>"$WORK/server.err" &
	fi
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_listen "$port"
	answer=$(socat -u TCP:127.0.0.1:"$port" - 2>&1)
	wait "$pid"
	[ "$answer" = hello ] || fail "client got '$answer'"
}

# Restarting on port $1: sets $result to socat's exit status, or to
# "listening".  The restarted server only has to bind; it is stopped once it
# listens.
restart() {
	port=$1
	if [ "$2" = shim ]; then
		# (env, not the shim function: its subshell would be what bg_stop
		# kills, and socat would stay listening)
		SOCKSHIM_REUSEADDR=1 env LD_PRELOAD="$PRELOAD" socat TCP-LISTEN:"$port",bind=127.0.0.1 \
			SYSTEM:'echo hello' 2>"$WORK/restart.err" &
	else
		socat TCP-LISTEN:"$port",bind=127.0.0.1 SYSTEM:'echo hello' 2>"$WORK/restart.err" &
	fi
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	for _ in $(seq 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			result=$?
			return
		fi
		if ss -Htln "sport = :$port" | grep -q .; then
			bg_stop "$pid"
			result=listening
			return
		fi
		sleep 0.05
	done
	bg_stop "$pid"
	result=timeout
}

# Linux keeps at most net.ipv4.tcp_max_tw_buckets connections in TIME_WAIT
# and drops the rest at once (a benchmark run just before can fill it).
need_time_wait() {
	ss -Htan state time-wait "sport = :$1" | grep -q . && return 0
	max=$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets 2>/dev/null || echo 0)
	[ "$(ss -Htan state time-wait | wc -l)" -ge "$max" ] &&
		skip "the kernel's TIME_WAIT table is full ($max): nothing to show until it drains"
	fail "no TIME_WAIT left on $1"
}

# 1. Without the shim: the restart fails with "Address already in use".
port=$(free_port)
serve_once "$port" bare
need_time_wait "$port"
restart "$port" bare
[ "$result" != listening ] || fail "bare restart succeeded: cannot show the problem here"
assert_grep "$WORK/restart.err" "Address already in use"
note "bare: restart failed ($result): $(grep -o 'Address already in use' "$WORK/restart.err" | head -1)"

# 2. Under the shim (both lives: Linux reuses a TIME_WAIT port only if the
# socket that left it had SO_REUSEADDR too).
port=$(free_port)
serve_once "$port" shim
need_time_wait "$port"
restart "$port" shim
[ "$result" = listening ] || { cat "$WORK/restart.err"; fail "restart under the shim: $result"; }
note "shim: restart while TIME_WAIT is held succeeded"
