# SOCKSHIM_LOG=syslog: each record is one datagram to /dev/log, in the
# format syslog(3) uses, with the fixed tag sockshim:
# "<pri>Mmm dd hh:mm:ss sockshim[pid]: {json}".  In a private mount
# namespace, with a /dev/log of the test's own (an overlay over /dev).
. "$(dirname "$0")/../lib.sh"
private_mounts "$@"
private_dev

bg_start socat -u UNIX-RECV:/dev/log,mode=666 OPEN:"$WORK/syslog",creat,append
for _ in $(seq 100); do [ -S /dev/log ] && break; sleep 0.05; done
[ -S /dev/log ] || fail "no listener on /dev/log"
SOCKSHIM_LOG=syslog shim "$PROGS/events" double_close >"$WORK/out" 2>"$WORK/err" || fail "exit $?"
[ ! -s "$WORK/err" ] || { cat "$WORK/err"; fail "wrote to stderr"; }
for _ in $(seq 50); do [ -s "$WORK/syslog" ] && break; sleep 0.05; done
assert_grep "$WORK/syslog" '^<12>[A-Z][a-z]{2} [ 123][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] sockshim\[[0-9]+\]: \{"ts":'
sed 's/^<[0-9]*>[^]]*\]: //' "$WORK/syslog" | tr -d '\000' | grep . >"$WORK/records"
check_log "$WORK/records" --event double_close --backtrace-has second_closer --where prog=events --count 1
note "one datagram, priority user.warning, tag sockshim, JSON intact"
