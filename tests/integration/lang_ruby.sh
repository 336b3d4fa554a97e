# The line in the program's own language, Ruby (Debian's ruby, TCPServer):
# the seed's bug logs exactly one close_rst whose lang_backtrace names the
# server's own method, file and line (checked against the source), and
# sockshim-report names that line as the call site.
. "$(dirname "$0")/../lib.sh"
command -v ruby >/dev/null || skip "ruby is not installed"
case $FLAVOR in *thread*) skip "no backtraces under ThreadSanitizer" ;; esac
LANG_DIR="$TOP/tests/progs/lang"
check_lang() { python3 "$LANG_DIR/check_lang.py" "$@" || { head -c 3000 "$1"; fail "lang check failed"; }; }

cp "$LANG_DIR/seed_server.rb" "$WORK/"
line=$(grep -n 'LANG-LINE' "$WORK/seed_server.rb" | cut -d: -f1)
port=$(free_port)
(cd "$WORK" && exec env SOCKSHIM_LOG="$WORK/seed.log" LD_PRELOAD="$PRELOAD" \
	ruby seed_server.rb "$port" 4000000 1) &
server=$!
BG_PIDS="$BG_PIDS $server"
wait_listen "$port"
"$PROGS/seed_client" "$port" 60000 >"$WORK/client" 2>&1
wait "$server" || fail "the server exited $?"
grep -q "reset by peer" "$WORK/client" || skip "the client saw no reset: cannot show the bug here"
check_lang "$WORK/seed.log" --event close_rst --count 1 --lang ruby
check_lang "$WORK/seed.log" --event close_rst --count 1 --frame "seed_server.rb:answer_and_close:$line"
"$B/sockshim-report" "$WORK/seed.log" >"$WORK/report" || fail "sockshim-report exit $?"
assert_grep "$WORK/report" "call site \\(ruby\\): answer_and_close +(.*/)?seed_server.rb:$line\$"
note "close_rst names answer_and_close, seed_server.rb:$line; so does the report"
