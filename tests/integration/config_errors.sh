# A bad value or a misspelt variable gets one config_error record each on
# stderr, the default is used, and the program runs exactly as without them.
. "$(dirname "$0")/../lib.sh"

"$PROGS/reuse_check" >"$WORK/bare.out" || fail "reuse_check failed"
SOCKSHIM_REUSEADDR=yes SOCKSHIM_LINGER_MS=-5 SOCKSHIM_GRACEFULL=1 SOCKSHIM_EVENTS=loud \
	shim "$PROGS/reuse_check" >"$WORK/shim.out" 2>"$WORK/shim.err" || fail "exit status $?"
diff -u "$WORK/bare.out" "$WORK/shim.out" || fail "the defaults were not used"
assert_json_lines "$WORK/shim.err"
[ "$(grep -c '"event":"config_error"' "$WORK/shim.err")" = 4 ] || { cat "$WORK/shim.err"; fail "expected 4 config_error records"; }
assert_grep "$WORK/shim.err" '"variable":"SOCKSHIM_REUSEADDR".*"value":"yes"|"value":"yes".*"variable":"SOCKSHIM_REUSEADDR"'
assert_grep "$WORK/shim.err" '"variable":"SOCKSHIM_LINGER_MS"'
assert_grep "$WORK/shim.err" '"reason":"unknown variable".*"variable":"SOCKSHIM_GRACEFULL"'
assert_grep "$WORK/shim.err" '"variable":"SOCKSHIM_EVENTS"'
# Once per process: nothing else in the log.
[ "$(wc -l <"$WORK/shim.err")" = 4 ] || fail "more than the 4 records"

# A good configuration says nothing.
SOCKSHIM_REUSEADDR=1 shim "$PROGS/reuse_check" >/dev/null 2>"$WORK/good.err" || fail "exit status $?"
[ ! -s "$WORK/good.err" ] || { cat "$WORK/good.err"; fail "a good configuration logged something"; }
note "4 problems, 4 records, defaults used, same output"
