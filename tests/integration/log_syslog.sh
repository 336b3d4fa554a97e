# SOCKSHIM_LOG=syslog: each record is one datagram to /dev/log, in the
# format syslog(3) uses: "<pri>prog[pid]: {json}".
. "$(dirname "$0")/../lib.sh"
[ -e /dev/log ] && skip "/dev/log exists (a real syslog daemon): not replacing it"
[ "$(id -u)" = 0 ] || skip "needs root to listen on /dev/log"

socat -u UNIX-RECV:/dev/log,mode=666 OPEN:"$WORK/syslog",creat,append &
listener=$!
trap 'kill $listener 2>/dev/null; wait $listener 2>/dev/null; rm -f /dev/log; cleanup' EXIT
for _ in $(seq 100); do [ -S /dev/log ] && break; sleep 0.05; done
[ -S /dev/log ] || fail "no listener on /dev/log"
SOCKSHIM_LOG=syslog shim "$PROGS/events" double_close >"$WORK/out" 2>"$WORK/err" || fail "exit $?"
[ ! -s "$WORK/err" ] || { cat "$WORK/err"; fail "wrote to stderr"; }
for _ in $(seq 50); do [ -s "$WORK/syslog" ] && break; sleep 0.05; done
assert_grep "$WORK/syslog" '^<12>events\[[0-9]+\]: \{"ts":'
sed 's/^<[0-9]*>[^:]*: //' "$WORK/syslog" | tr -d '\000' | grep . >"$WORK/records"
check_log "$WORK/records" --event double_close --backtrace-has second_closer --count 1
note "one datagram, priority user.warning, JSON intact"
