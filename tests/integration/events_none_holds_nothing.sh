# Issue 14 (events=none, a forking server): at SOCKSHIM_EVENTS=none with
# graceful close off and no SO_REUSE* forced, nothing is ever written and
# nothing reads what a close leaves in the shim's table.  The shim then
# holds no descriptor of its own (it used to keep a copy of stderr at a
# high number for a log never written, which every fork copied with the
# table that reached it) and a close is the real close alone: callgrind,
# 126 -> 25 user-space instructions added to a pipe's close.
#
# The program sees the descriptors it sees bare; at the default level the
# shim's copy of stderr is there (the control), and at events=none with
# SO_REUSEADDR forced the table is kept (a later setsockopt reads it).
# Before: "events=none: 0 1 2 960 (bare: 0 1 2)".
. "$(dirname "$0")/../lib.sh"

# (a fixed, small set of descriptors for every run: the harness's own
# inherited ones closed)
run_fdlist() { # VAR=VALUE...: the descriptors fdlist sees
	env "$@" bash -c 'for f in /proc/$$/fd/*; do f=${f##*/}; [ "$f" -gt 2 ] && eval "exec $f>&-"; done 2>/dev/null; exec "$0"' "$PROGS/fdlist"
}

bare=$(run_fdlist)
none=$(run_fdlist SOCKSHIM_EVENTS=none LD_PRELOAD="$PRELOAD")
errors=$(run_fdlist LD_PRELOAD="$PRELOAD")
[ -n "$bare" ] || fail "fdlist printed nothing"
[ "$none" = "$bare" ] || fail "events=none: $none (bare: $bare)"
[ "$errors" != "$bare" ] || fail "the control: no descriptor of the shim's at the default level ($errors)"
note "bare and events=none: $bare; default level: $errors"

# The close itself, at events=none: what it returns, as bare.
out=$(SOCKSHIM_EVENTS=none SOCKSHIM_LOG="$WORK/none.log" shim "$PROGS/events" double_close 2>&1)
rc=$?
bare_out=$("$PROGS/events" double_close 2>&1)
bare_rc=$?
[ "$rc" = "$bare_rc" ] && [ "$out" = "$bare_out" ] || fail "events=none: exit $rc, '$out' (bare: exit $bare_rc, '$bare_out')"
[ ! -s "$WORK/none.log" ] || fail "a record at events=none: $(cat "$WORK/none.log")"
note "double_close at events=none: as bare (exit $rc), no record"
