# `make install PREFIX=... DESTDIR=...` puts every file where the README
# says (the library in the multiarch directory, the i386 build beside it
# when there is one), the installed launcher finds the installed library
# through $LIB, every tool tells the one version, and `make uninstall`
# removes all of it.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "checks LD_PRELOAD values and paths"

R=$WORK/root
make -s -C "$TOP" install PREFIX=/usr DESTDIR="$R" >"$WORK/install.log" 2>&1 || { cat "$WORK/install.log"; fail "make install failed"; }
ma=$(${CC:-cc} -print-multiarch)
libdir=$R/usr/lib${ma:+/$ma}
lib=$libdir/sockshim/libsockshim.so
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
[ -f "$lib" ] || fail "no $lib"
grep -qxF "#define SHIM_VERSION \"$version\"" "$R/usr/include/sockshim/sockshim.h" || fail "the installed header has no version $version"
printf '#include <sockshim/sockshim.h>\nconst char *v = SHIM_VERSION;\n' |
	${CC:-cc} -I"$R/usr/include" -x c -c - -o /dev/null || fail "the installed header does not compile on its own"
for f in logrotate/sockshim logrotate/sockshim-collector systemd/sockshim.conf rsyslog/sockshim-forward.conf rsyslog/sockshim-collector.conf journald/queries.txt; do
	cmp -s "$TOP/examples/$f" "$R/usr/share/doc/sockshim/examples/$f" || fail "example $f not installed"
done
for m in sockshim sockshim-report; do
	[ -f "$R/usr/share/man/man1/$m.1" ] || fail "no man page $m.1"
	MANWIDTH=80 man -l "$R/usr/share/man/man1/$m.1" >/dev/null 2>&1 || [ ! -x "$(command -v man)" ] || fail "$m.1 does not render"
done
[ -f "$R/usr/share/doc/sockshim/README.md" ] && [ -f "$R/usr/share/doc/sockshim/LICENSE" ] || fail "README, LICENSE not installed"
PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --variable=preload sockshim >"$WORK/pc" 2>&1 || fail "pkg-config: $(cat "$WORK/pc")"
[ "$(cat "$WORK/pc")" = "/usr/lib${ma:+/$ma}/sockshim/libsockshim.so" ] || fail "sockshim.pc: preload=$(cat "$WORK/pc")"
[ "$(PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --modversion sockshim)" = "$version" ] || fail "sockshim.pc: version"
SOCKSHIM_REUSEADDR=1 LD_PRELOAD="$lib" "$PROGS/reuse_check" >"$WORK/out" || fail "installed library: exit $?"
assert_grep "$WORK/out" '^tcp4 new addr=1 port=0$'
note "installed under DESTDIR/usr: library, header, man pages, pkg-config, examples"

# every tool tells the version of debian/changelog
[ "$("$R/usr/bin/sockshim" --version)" = "sockshim $version" ] || fail "installed sockshim --version: $("$R/usr/bin/sockshim" --version)"
[ "$("$TOP/tools/sockshim" --version)" = "sockshim $version" ] || fail "tools/sockshim --version"
[ "$("$R/usr/bin/sockshim-report" --version)" = "sockshim-report $version" ] || fail "sockshim-report --version"
SOCKSHIM_EVENTS=all SOCKSHIM_LOG="$WORK/start.log" LD_PRELOAD="$lib" "$PROGS/show_env" >/dev/null
check_log "$WORK/start.log" --event start --where "version=$version" --count 1
SOCKSHIM_LOG="$WORK/quiet.log" LD_PRELOAD="$lib" "$PROGS/show_env" >/dev/null
[ ! -s "$WORK/quiet.log" ] || fail "a record at the default level: $(cat "$WORK/quiet.log")"
note "version $version: sockshim, sockshim-report, the start record (events=all only)"

# the installed launcher, also through a symlink, preloads PREFIX/$LIB/...
if [ -n "$ma" ]; then
	ln -s "$R/usr/bin/sockshim" "$WORK/sockshim-link"
	"$WORK/sockshim-link" --reuseaddr -- "$PROGS/show_env" >"$WORK/env" || fail "installed launcher: exit $?"
	# shellcheck disable=SC2016
	grep -qxF "LD_PRELOAD=$(cd "$R/usr" && pwd -P)/\$LIB/sockshim/libsockshim.so" "$WORK/env" ||
		{ cat "$WORK/env"; fail "installed launcher: not PREFIX/\$LIB"; }
	"$WORK/sockshim-link" --reuseaddr -- "$PROGS/reuse_check" | grep -qx 'tcp4 new addr=1 port=0' ||
		fail "the loader did not find PREFIX/\$LIB/sockshim/libsockshim.so"
	note "installed launcher: LD_PRELOAD=PREFIX/\$LIB/sockshim/libsockshim.so, expanded by the loader"
	if [ -x "$PROGS/seed_server32" ] && i386_runs; then
		[ -f "$R/usr/lib/i386-linux-gnu/sockshim/libsockshim.so" ] || fail "the i386 build is not installed"
		port=$(free_port)
		bg_start "$WORK/sockshim-link" --graceful -- "$PROGS/seed_server32" "$port" 4000000 1
		wait_listen "$port"
		"$PROGS/seed_client" "$port" 60000 >"$WORK/out32"
		wait "$BG_PID" || fail "32-bit server under the installed launcher: exit $?"
		assert_grep "$WORK/out32" "^received 4000000 bytes, then EOF$"
		note "installed i386 build: a 32-bit server's reset cured"
	fi
fi

# the installed launcher runs a static program under the installed supervisor
sv="$R/usr/lib/sockshim/sockshim-supervise"
[ -x "$sv" ] || fail "no $sv"
"$R/usr/bin/sockshim" --log "$WORK/sv.log" -- "$PROGS/static_hello" 7 >/dev/null
[ $? = 7 ] || fail "the installed launcher did not run a static program under the installed supervisor"
check_log "$WORK/sv.log" --event supervised --count 1
note "the installed launcher runs a static program under the installed supervisor"

make -s -C "$TOP" uninstall PREFIX=/usr DESTDIR="$R" >"$WORK/uninstall.log" 2>&1 || { cat "$WORK/uninstall.log"; fail "make uninstall failed"; }
left=$(find "$R" ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
left=$(find "$R" -mindepth 1 -type d -name '*sockshim*')
[ -z "$left" ] || fail "make uninstall left directories: $left"
note "make uninstall removed every file"
