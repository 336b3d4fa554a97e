# A real server nobody here wrote: python3 -m http.server never reads a
# request body, so a GET carrying 1 MiB for an 8 MB file, read by curl at a
# limited rate, ends in "Connection reset by peer"; the server's log has the
# close_rst, and its backtrace runs through the interpreter's modules.
. "$(dirname "$0")/../lib.sh"
command -v curl >/dev/null || skip "curl is not installed"

mkdir "$WORK/www"
head -c 8000000 /dev/urandom >"$WORK/www/big"
head -c 1048576 /dev/zero >"$WORK/body"
port=$(free_port)
(cd "$WORK/www" && exec env SOCKSHIM_LOG="$WORK/server.log" LD_PRELOAD="$PRELOAD" \
	python3 -m http.server --bind 127.0.0.1 "$port") >/dev/null 2>&1 &
server=$!
BG_PIDS="$BG_PIDS $server"
wait_listen "$port"
resets=0
for i in 1 2 3; do
	curl -sS -o "$WORK/got" --limit-rate 10M -X GET -H 'Expect:' --data-binary @"$WORK/body" \
		"http://127.0.0.1:$port/big" 2>"$WORK/curl.err" && continue
	grep -q "Connection reset by peer" "$WORK/curl.err" && resets=$((resets + 1))
done
bg_stop "$server"
[ "$resets" -gt 0 ] || fail "curl never saw a reset: cannot show the problem here"
check_log "$WORK/server.log" --event close_rst --where reason=unread_data --module-has python --at-least "$resets"
note "curl reset $resets/3 times; each close_rst logged with the interpreter in the backtrace"
