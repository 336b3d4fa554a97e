# Real servers under load, every feature on, events=all to a file per
# process: nginx serving a file to wrk and curl, redis-server under
# redis-benchmark, socat in fork mode: zero failed requests, every log line
# valid JSON, close records at least as many as the connections made.
# Each server is started here on a free loopback port and stopped by pid.
# (socat gets backlog=128 and -t 5: with its default listen backlog of 5,
# 100 clients at once lose connections bare too.)
# group: servers
. "$(dirname "$0")/../lib.sh"
no_sanitizer "loads real servers for seconds; the sanitizer builds run the functional tests"

ALL="SOCKSHIM_REUSEADDR=1 SOCKSHIM_REUSEPORT=1 SOCKSHIM_GRACEFUL=1 SOCKSHIM_EVENTS=all"
tried=0

# Checks the logs of one server: valid JSON, and at least $2 close records.
logs_ok() { # dir min_closes
	closes=0
	for f in "$1"/*; do
		check_log "$f"
		closes=$((closes + $(grep -c '"event":"close"' "$f")))
	done
	[ "$closes" -ge "$2" ] || fail "$1: $closes close records for $2 connections"
}

if command -v nginx >/dev/null && command -v wrk >/dev/null; then
	mkdir -p "$WORK/nginx/logs" "$WORK/nginx/www" "$WORK/nginx/tmp"
	head -c 100000 /dev/urandom >"$WORK/nginx/www/file"
	chmod 755 "$WORK" "$WORK/nginx" "$WORK/nginx/www" && chmod 644 "$WORK/nginx/www/file" # workers run as nobody
	port=$(free_port)
	cat >"$WORK/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 512; }
http {
	access_log off;
	client_body_temp_path $WORK/nginx/tmp;
	proxy_temp_path $WORK/nginx/tmp;
	fastcgi_temp_path $WORK/nginx/tmp;
	uwsgi_temp_path $WORK/nginx/tmp;
	scgi_temp_path $WORK/nginx/tmp;
	keepalive_requests 10;
	server { listen 127.0.0.1:$port; root $WORK/nginx/www; }
}
CONF
	env $ALL SOCKSHIM_LOG="$WORK/nginx/logs/%p" LD_PRELOAD="$PRELOAD" \
		nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" 2>"$WORK/nginx/stderr" &
	nginx_pid=$!
	BG_PIDS="$BG_PIDS $nginx_pid"
	wait_listen "$port"
	wrk -t 2 -c 20 -d 3s "http://127.0.0.1:$port/file" >"$WORK/wrk.out" 2>&1 || fail "wrk: $(cat "$WORK/wrk.out")"
	requests=$(awk '/requests in/ { print $1 }' "$WORK/wrk.out")
	grep -qE 'Non-2xx|Socket errors' "$WORK/wrk.out" && { cat "$WORK/wrk.out"; fail "wrk saw errors"; }
	for i in $(seq 200); do
		curl -sS -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$port/file"
	done >"$WORK/codes"
	[ "$(grep -c '^200$' "$WORK/codes")" = 200 ] || fail "curl: $(sort "$WORK/codes" | uniq -c)"
	kill -QUIT "$nginx_pid"
	wait "$nginx_pid"
	# wrk keeps its connections alive: 10 requests per connection
	logs_ok "$WORK/nginx/logs" $((requests / 10 + 200))
	note "nginx: $requests wrk requests and 200 curl requests, no error; $(ls "$WORK/nginx/logs" | wc -l) process logs valid"
	tried=$((tried + 1))
fi

if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
	mkdir -p "$WORK/redis/logs"
	port=$(free_port)
	(cd "$WORK/redis" && exec env $ALL SOCKSHIM_LOG="$WORK/redis/logs/%p" LD_PRELOAD="$PRELOAD" \
		redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no) \
		>"$WORK/redis/stdout" 2>&1 &
	redis_pid=$!
	BG_PIDS="$BG_PIDS $redis_pid"
	wait_listen "$port"
	redis-benchmark -h 127.0.0.1 -p "$port" -n 50000 -c 20 -t set,get -q >"$WORK/rb.out" 2>&1 ||
		fail "redis-benchmark: $(tail "$WORK/rb.out")"
	grep -qi error "$WORK/rb.out" && fail "redis-benchmark: $(cat "$WORK/rb.out")"
	# one connection per request, to count the closes
	redis-benchmark -h 127.0.0.1 -p "$port" -n 2000 -c 10 -k 0 -t ping -q >>"$WORK/rb.out" 2>&1 ||
		fail "redis-benchmark -k 0"
	bg_stop "$redis_pid"
	logs_ok "$WORK/redis/logs" 2000
	note "redis: 2 x 50000 requests and 2000 connections, no error"
	tried=$((tried + 1))
fi

if command -v socat >/dev/null; then
	mkdir -p "$WORK/socat/logs"
	port=$(free_port)
	env $ALL SOCKSHIM_LOG="$WORK/socat/logs/%p" LD_PRELOAD="$PRELOAD" \
		socat -t 5 TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr,fork,backlog=128 EXEC:cat &
	socat_pid=$!
	BG_PIDS="$BG_PIDS $socat_pid"
	wait_listen "$port"
	pids=""
	for i in $(seq 100); do
		(printf 'hello %d\n' "$i" | socat -t 5 - TCP:127.0.0.1:"$port" | grep -qx "hello $i") &
		pids="$pids $!"
	done
	failed=0
	for p in $pids; do wait "$p" || failed=$((failed + 1)); done
	[ "$failed" = 0 ] || fail "socat: $failed of 100 echoes failed"
	bg_stop "$socat_pid"
	logs_ok "$WORK/socat/logs" 100
	note "socat fork mode: 100 concurrent echoes, no failure"
	tried=$((tried + 1))
fi
[ "$tried" -gt 0 ] || skip "none of nginx+wrk, redis, socat is installed"
