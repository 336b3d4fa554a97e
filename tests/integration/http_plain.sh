# A real client and server (curl against python3 -m http.server) work
# unchanged under the shim with no variable set.
. "$(dirname "$0")/../lib.sh"
command -v curl >/dev/null || skip "curl is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"

mkdir "$WORK/www"
head -c 3000000 /dev/urandom >"$WORK/www/blob"
port=$(free_port)
cd "$WORK/www" || exit 1
bg_start shim python3 -m http.server --bind 127.0.0.1 "$port" 2>"$WORK/server.err"
server=$BG_PID
wait_listen "$port"
# curl hangs with the ASan runtime preloaded, shim or not: in a sanitizer
# build only the server runs under the shim.
client=shim
case $FLAVOR in *address* | *thread*) client=env ;; esac
for i in 1 2 3; do
	$client curl -sS -o "$WORK/got$i" "http://127.0.0.1:$port/blob" || fail "curl exit $?"
	cmp -s "$WORK/www/blob" "$WORK/got$i" || fail "download $i differs"
done
$client curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/missing" >"$WORK/code" || true
[ "$(cat "$WORK/code")" = 404 ] || fail "expected 404, got $(cat "$WORK/code")"
kill -0 "$server" || fail "server died"
bg_stop "$server"
# Nothing went wrong on the close path: no close event.  (http.server's
# attempt to clear IPV6_V6ONLY on an IPv4 socket fails, by design, and is
# logged as setsockopt_error.)
if grep -E '"event":"(close|double_close|shutdown)' "$WORK/server.err"; then
	fail "unexpected close-path events"
fi
note "3 downloads of 3 MB and a 404, identical bytes"
