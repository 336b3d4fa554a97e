# `make install PREFIX=... DESTDIR=...` puts the library and the header where
# the README says, and the installed library works.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "checks LD_PRELOAD values and paths"

make -s -C "$TOP" install PREFIX=/usr DESTDIR="$WORK/root" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; fail "make install failed"; }
lib="$WORK/root/usr/lib/sockshim/libsockshim.so"
[ -f "$lib" ] || fail "no $lib"
[ -f "$WORK/root/usr/include/sockshim/sockshim.h" ] || fail "no header"
for f in logrotate/sockshim systemd/sockshim.conf rsyslog/sockshim-forward.conf rsyslog/sockshim-collector.conf; do
	cmp -s "$TOP/examples/$f" "$WORK/root/usr/share/doc/sockshim/examples/$f" || fail "example $f not installed"
done
SOCKSHIM_REUSEADDR=1 LD_PRELOAD="$lib" "$PROGS/reuse_check" >"$WORK/out" || fail "installed library: exit $?"
assert_grep "$WORK/out" '^tcp4 new addr=1 port=0$'
note "installed under DESTDIR/usr and working, with the examples"
sv="$WORK/root/usr/lib/sockshim/sockshim-supervise"
[ -x "$sv" ] || fail "no $sv"
"$WORK/root/usr/bin/sockshim" --log "$WORK/sv.log" -- "$PROGS/static_hello" 7 >/dev/null
[ $? = 7 ] || fail "the installed launcher did not run a static program under the installed supervisor"
check_log "$WORK/sv.log" --event supervised --count 1
note "the installed launcher runs a static program under the installed supervisor"
