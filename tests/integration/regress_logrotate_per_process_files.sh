# Regression: the shipped logrotate stanza (examples/logrotate/sockshim)
# kept the per-process files (SOCKSHIM_LOG=.../%p.jsonl) of processes long
# gone for ever, though it says maxage 30 is there for them: `create` left
# an empty PID.jsonl after each one's last rotation, which notifempty never
# rotates again, and logrotate's maxage removes old files only of a log it
# rotates, so PID.jsonl.1 stayed too (a forking server: two files for each
# child that ever logged).  Now the stanza's lastaction removes the empty
# file of a process that is gone, and its rotated files past maxage's age.
# A live process's files are kept.
# Before: "files of processes gone still there: PID.jsonl PID.jsonl.1 ...".
# group: servers
. "$(dirname "$0")/../lib.sh"
command -v logrotate >/dev/null || skip "no logrotate here (Debian package logrotate)"
getent group adm >/dev/null || skip "no group adm (the shipped stanza creates files root:adm)"
BASH_BIN=$(command -v bash) || skip "no bash"
LOGS=$WORK/logs
mkdir -p "$LOGS"
sed -e "s#/var/log/sockshim/\*\.jsonl#$LOGS/*.jsonl#" "$TOP/examples/logrotate/sockshim" >"$WORK/conf"
grep -q "^$LOGS/\*\.jsonl {" "$WORK/conf" || fail "the shipped stanza names no /var/log/sockshim/*.jsonl"
rotate() { logrotate -f -s "$WORK/state" "$WORK/conf" 2>>"$WORK/logrotate.err" || { cat "$WORK/logrotate.err"; fail "logrotate: exit $?"; }; }

# three processes that log once and are gone, and one that lives on and
# logs again after the first rotation (bash: a close_error at each
# `exec N>&-`)
gone=""
for _ in 1 2 3; do
	env SOCKSHIM_LOG="$LOGS/%p.jsonl" $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/events" close_error >/dev/null 2>&1 &
	gone="$gone $!"
	wait $! || fail "events: exit $?"
done
env SOCKSHIM_LOG="$LOGS/%p.jsonl" $SAN_VARS LD_PRELOAD="$PRELOAD" "$BASH_BIN" -c \
	'exec 99>&-; : >"$0.first"; while [ ! -e "$0.rotated" ]; do sleep 0.1; done
	exec 98>&-; : >"$0.second"; exec sleep 60' "$WORK/live" >/dev/null 2>&1 &
live=$!
BG_PIDS="$BG_PIDS $live"
# (each step awaited, not fixed sleeps that a loaded machine outruns)
wait_file "$WORK/live.first" "the live process did not log"
for p in $gone $live; do [ -s "$LOGS/$p.jsonl" ] || fail "no $p.jsonl"; done
rotate # day 1: every file rotated, `create` makes each anew, empty
sleep 1.1 # at least: the shim looks for a rotation at most once a second
: >"$WORK/live.rotated"
wait_file "$WORK/live.second" "the live process did not log after the rotation"
[ -s "$LOGS/$live.jsonl" ] || fail "the live process's record after the rotation is not in $live.jsonl"
# a month and more later: the next rotation (of the live one's file)
touch -d '40 days ago' "$LOGS"/*
rotate
left=""
for p in $gone; do
	for f in "$LOGS/$p".jsonl*; do [ -e "$f" ] && left="$left ${f##*/}"; done
done
[ -z "$left" ] || fail "files of processes gone still there:$left"
[ -e "$LOGS/$live.jsonl" ] && [ -s "$LOGS/$live.jsonl.1" ] || { ls -la "$LOGS"; fail "the live process's files were removed"; }
note "after the month: $(cd "$LOGS" && echo *) (the live process's only)"
