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
# (up to 5 tries, until one is reset: the reset shows only where curl is
# slower than the server, and another test's load beside this one (make
# check runs two at a time) can make the server the slower one: once, in
# 3 tries, curl read the whole file before the reset came)
resets=0 tries=0
: >"$WORK/curl.errs"
while [ "$resets" = 0 ] && [ "$tries" -lt 5 ]; do
	tries=$((tries + 1))
	curl -sS -o "$WORK/got" --limit-rate 10M -X GET -H 'Expect:' --data-binary @"$WORK/body" \
		"http://127.0.0.1:$port/big" 2>"$WORK/curl.err"
	echo "try $tries: exit $?: $(cat "$WORK/curl.err")" >>"$WORK/curl.errs"
	grep -q "Connection reset by peer" "$WORK/curl.err" && resets=$((resets + 1))
done
bg_stop "$server"
[ "$resets" -gt 0 ] || fail "curl never saw a reset: cannot show the problem here: $(cat "$WORK/curl.errs")"
check_log "$WORK/server.log" --event close_rst --where reason=unread_data --module-has python --at-least "$resets"
note "curl reset at try $tries; the close_rst logged with the interpreter in the backtrace"
