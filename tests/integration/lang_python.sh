# The line in the program's own language, Python (Debian's python3): the
# seed's bug written with the socket module, and python3 -m http.server,
# each log exactly one close_rst per reset whose lang_backtrace names the
# server's own function, file and line (checked against the source), and
# sockshim-report names that line as the call site.  SOCKSHIM_LANG_FRAMES=0
# takes the field away.  A libpython that a C program dlopen's after the
# start (RTLD_LOCAL: invisible to dlsym) is found too.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "Debian's python3 (/usr/bin/python3) is not installed"
case $FLAVOR in *thread*) skip "no backtraces under ThreadSanitizer" ;; esac
LANG_DIR="$TOP/tests/progs/lang"
check_lang() { python3 "$LANG_DIR/check_lang.py" "$@" || { head -c 3000 "$1"; fail "lang check failed"; }; }
line_of() { grep -n -- "$2" "$1" | head -n 1 | cut -d: -f1; }

# 1. The seed's bug: a client that sends more than the server reads.
cp "$LANG_DIR/seed_server.py" "$WORK/"
line=$(line_of "$WORK/seed_server.py" 'LANG-LINE')
run_seed() { # LOG [VAR=VALUE...]: one client, its result in $WORK/client
	log=$1
	shift
	port=$(free_port)
	(cd "$WORK" && exec env SOCKSHIM_LOG="$log" "$@" LD_PRELOAD="$PRELOAD" \
		"$PY" seed_server.py "$port" 4000000 1) &
	server=$!
	BG_PIDS="$BG_PIDS $server"
	wait_listen "$port"
	"$PROGS/seed_client" "$port" 60000 >"$WORK/client" 2>&1
	wait "$server" || fail "the server exited $?"
}
run_seed "$WORK/seed.log"
grep -q "reset by peer" "$WORK/client" || skip "the client saw no reset: cannot show the bug here"
check_lang "$WORK/seed.log" --event close_rst --count 1 --lang python
check_lang "$WORK/seed.log" --event close_rst --count 1 --frame "seed_server.py:answer_and_close:$line"
"$B/sockshim-report" "$WORK/seed.log" >"$WORK/report" || fail "sockshim-report exit $?"
assert_grep "$WORK/report" "call site \\(python\\): answer_and_close +(.*/)?seed_server.py:$line\$"
note "seed: close_rst names answer_and_close, seed_server.py:$line; so does the report"

run_seed "$WORK/off.log" SOCKSHIM_LANG_FRAMES=0
check_lang "$WORK/off.log" --event close_rst --count 1 --no-lang
note "SOCKSHIM_LANG_FRAMES=0: no lang_backtrace"

# 2. python3 -m http.server never reads a request body: the close is
# socketserver's close_request, the server's own line.
command -v curl >/dev/null || skip "curl is not installed"
src=$("$PY" -c 'import socketserver; print(socketserver.__file__)')
hline=$(awk '/def close_request/ { f = 1 } f && /request.close\(\)/ { print NR; exit }' "$src")
[ -n "$hline" ] || fail "no request.close() in close_request of $src"
mkdir "$WORK/www"
head -c 8000000 /dev/zero >"$WORK/www/big"
head -c 1048576 /dev/zero >"$WORK/body"
port=$(free_port)
(cd "$WORK/www" && exec env SOCKSHIM_LOG="$WORK/http.log" LD_PRELOAD="$PRELOAD" \
	"$PY" -m http.server --bind 127.0.0.1 "$port") >/dev/null 2>&1 &
server=$!
BG_PIDS="$BG_PIDS $server"
wait_listen "$port"
resets=0
for i in 1 2 3; do
	curl -sS -o /dev/null --limit-rate 10M -X GET -H 'Expect:' --data-binary @"$WORK/body" \
		"http://127.0.0.1:$port/big" 2>"$WORK/curl.err" && continue
	grep -q "reset by peer" "$WORK/curl.err" && resets=$((resets + 1))
done
bg_stop "$server"
[ "$resets" -gt 0 ] || skip "curl never saw a reset: cannot show the problem here"
check_lang "$WORK/http.log" --event close_rst --lang python
# each reset curl saw is a close_rst (one more may have met a curl that had
# already read everything), and every one names close_request
n=$(grep -c '"event":"close_rst"' "$WORK/http.log")
[ "$n" -ge "$resets" ] || fail "$n close_rst records for $resets resets"
check_lang "$WORK/http.log" --event close_rst --count "$n" --frame "socketserver.py:close_request:$hline"
"$B/sockshim-report" "$WORK/http.log" >"$WORK/report" || fail "sockshim-report exit $?"
assert_grep "$WORK/report" "call site \(python\): close_request +$src:$hline\$"
note "http.server: $resets resets, close_rst names close_request, socketserver.py:$hline"

# 3. libpython dlopen'ed after the start (a C program embedding Python, as
# mod_wsgi or uwsgi do): its symbols are found then, in the object itself.
lib=$("$PY" -c 'import os, sysconfig as s; print(os.path.join(s.get_config_var("LIBDIR"), s.get_config_var("INSTSONAME")))')
[ -f "$lib" ] || skip "no shared libpython ($lib): the package libpython3.11 is not installed"
eline=$(grep -n 'LANG-LINE-EMBEDDED' "$LANG_DIR/embedded.py" | cut -d: -f1)
SOCKSHIM_LOG="$WORK/embed.log" shim "$PROGS/embed_python" "$lib" "$LANG_DIR/embedded.py" ||
	fail "embed_python: exit $?"
check_lang "$WORK/embed.log" --event close_rst --count 1 --lang python
check_lang "$WORK/embed.log" --event close_rst --count 1 --frame "<string>:close_in_embedded:$eline"
note "libpython dlopen'ed by a C program: close_rst names close_in_embedded, line $eline"
