# Regression: a relative --log path and a relative SOCKSHIM_LIBRARY were
# passed on as they were, and followed the program's later chdir: a
# daemon that changed to its own directory wrote its records there
# (--log), and the programs it started after the chdir were not shimmed
# (LD_PRELOAD; the loader's "cannot be preloaded" line).  Found by a
# helper's sweep.  Now both are made absolute from the launcher's working
# directory; --log stderr, syslog and journald stay as they are.
# Before: "relative --log: the record went to sub/rel.log" and
# "relative SOCKSHIM_LIBRARY: LD_PRELOAD=alt/libsockshim.so".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "checks LD_PRELOAD values"
L="$TOP/tools/sockshim"
cd "$WORK" || fail "cd $WORK"
mkdir sub alt
# the shell chdirs, then the program makes its record
# shellcheck disable=SC2016
"$L" --log rel.log -- sh -c 'cd sub && exec "$0" double_close' "$PROGS/events" >/dev/null 2>&1 ||
	fail "relative --log: exit $?"
[ ! -e sub/rel.log ] || fail "relative --log: the record went to sub/rel.log"
check_log "$WORK/rel.log" --event double_close --count 1
for d in stderr syslog journald; do
	"$L" --log "$d" -- "$PROGS/show_env" | grep -qx "SOCKSHIM_LOG=$d" || fail "--log $d changed"
done
note "relative --log: $WORK/rel.log"

cp "$SHIM" alt/libsockshim.so
SOCKSHIM_LIBRARY=alt/libsockshim.so "$L" -- "$PROGS/show_env" >env || fail "relative SOCKSHIM_LIBRARY: exit $?"
grep -qxF "LD_PRELOAD=$WORK/alt/libsockshim.so" env || fail "relative SOCKSHIM_LIBRARY: $(grep LD_PRELOAD env)"
# shellcheck disable=SC2016
SOCKSHIM_LIBRARY=alt/libsockshim.so "$L" --log "$WORK/lib.log" -- sh -c 'cd sub && exec "$0" double_close' \
	"$PROGS/events" >out 2>&1 || fail "relative SOCKSHIM_LIBRARY, chdir: exit $?: $(cat out)"
! grep -q "cannot be preloaded" out || fail "relative SOCKSHIM_LIBRARY, chdir: $(cat out)"
check_log "$WORK/lib.log" --event double_close --count 1
note "relative SOCKSHIM_LIBRARY: $WORK/alt/libsockshim.so"
