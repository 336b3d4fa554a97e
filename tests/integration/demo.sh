# make demo runs to the end, exit 0, and shows both the reset and its cure,
# the culprit found by the report, and the restart.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the demo runs the launcher, which preloads the plain library"

make -s -C "$TOP" demo >"$WORK/demo" 2>&1 || { cat "$WORK/demo"; fail "make demo: exit $?"; }
assert_grep "$WORK/demo" "received [0-9]+ bytes, then Connection reset by peer"
assert_grep "$WORK/demo" "answer_and_close.*seed_server.c:[0-9]+"
assert_grep "$WORK/demo" "received 4000000 bytes, then EOF"
if grep -q "the kernel kept no TIME_WAIT here" "$WORK/demo"; then
	skip "$(grep -m1 'the kernel kept no TIME_WAIT here' "$WORK/demo" | sed 's/^ *//'): the host, not the demo"
fi
assert_grep "$WORK/demo" "bind: Address already in use"
assert_grep "$WORK/demo" "listening again on port"
note "the reset, the culprit (answer_and_close), the cure, the restart"
