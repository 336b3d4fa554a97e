# Regression: redis-server (which links jemalloc) hung at start under the
# shim once syscall() was interposed (found by real_servers.sh).  jemalloc
# makes its own system calls through syscall() while it initialises, under
# its lock (it reads /proc/sys/vm/overcommit_memory and closes it), and
# that can come before the shim's constructor; syscall(SYS_close) then
# started the shim's initialisation, which allocates (dlopen of libunwind)
# and so waited for jemalloc's lock, held by the same thread.  Now
# syscall() never starts the initialisation: before it is done every
# number passes through.
. "$(dirname "$0")/../lib.sh"
command -v redis-server >/dev/null 2>&1 || skip "redis-server is not installed (Debian: redis-server)"
port=$(free_port)
mkdir "$WORK/redis"
(cd "$WORK/redis" && exec env SOCKSHIM_LOG="$WORK/log" LD_PRELOAD="$PRELOAD" \
	redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no) \
	>"$WORK/out" 2>&1 &
BG_PIDS="$BG_PIDS $!"
redis=$!
for _ in $(seq 100); do
	ss -Htln "sport = :$port" 2>/dev/null | grep -q . && break
	sleep 0.1
done
ss -Htln "sport = :$port" | grep -q . || { tail -5 "$WORK/out"; fail "redis-server did not start under the shim in 10 s (hung?)"; }
bg_stop "$redis"
note "redis-server (jemalloc's syscall() at its start) starts under the shim"
