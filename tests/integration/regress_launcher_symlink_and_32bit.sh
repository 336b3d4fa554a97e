# Issue 15: a symlinked launcher failed with "cannot find libsockshim.so",
# and a 32-bit program ran unshimmed with only the loader's "wrong ELF
# class" line.  How the launcher finds the library now: through a symlinked launcher (stow,
# update-alternatives), from PATH too; SOCKSHIM_LIBRARY names one (also with
# $LIB, left to the loader), and is no unknown variable to the library; a
# 32-bit program gets the i386 build (and its reset is cured), or is refused
# with a message that says why when there is none.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "checks LD_PRELOAD values and paths"
L="$TOP/tools/sockshim"

# ---- symlinks
mkdir -p "$WORK/bin" "$WORK/other"
ln -s "$L" "$WORK/other/sockshim"
ln -s ../other/sockshim "$WORK/bin/shim-link" # a chain, the last one relative
for via in "$WORK/other/sockshim" "$WORK/bin/shim-link"; do
	"$via" -- "$PROGS/show_env" >"$WORK/env" 2>"$WORK/err"
	rc=$?
	[ $rc = 0 ] || { cat "$WORK/err"; fail "through $via: exit $rc"; }
	grep -qxF "LD_PRELOAD=$SHIM" "$WORK/env" || { cat "$WORK/env"; fail "through $via: not the build's library"; }
done
PATH="$WORK/bin:$PATH" shim-link --reuseaddr -- "$PROGS/reuse_check" >"$WORK/out" 2>"$WORK/err" ||
	{ cat "$WORK/err"; fail "from PATH through a symlink: exit $?"; }
grep -qx 'tcp4 new addr=1 port=0' "$WORK/out" || fail "from PATH through a symlink: no effect"
PATH="$WORK/bin:$PATH" shim-link --version | grep -qE '^sockshim [0-9]+\.[0-9]+' || fail "--version through a symlink"
note "a symlinked launcher finds the library, also from PATH"

# ---- SOCKSHIM_LIBRARY
mkdir -p "$WORK/alt"
cp "$SHIM" "$WORK/alt/libsockshim.so"
SOCKSHIM_LIBRARY="$WORK/alt/libsockshim.so" SOCKSHIM_LOG="$WORK/alt.log" "$L" --reuseaddr -- "$PROGS/reuse_check" >"$WORK/out" ||
	fail "SOCKSHIM_LIBRARY: exit $?"
grep -qx 'tcp4 new addr=1 port=0' "$WORK/out" || fail "SOCKSHIM_LIBRARY: no effect"
SOCKSHIM_LIBRARY="$WORK/alt/libsockshim.so" "$L" -- "$PROGS/show_env" >"$WORK/env"
grep -qxF "LD_PRELOAD=$WORK/alt/libsockshim.so" "$WORK/env" || { cat "$WORK/env"; fail "SOCKSHIM_LIBRARY not preloaded"; }
[ ! -s "$WORK/alt.log" ] || { cat "$WORK/alt.log"; fail "SOCKSHIM_LIBRARY made a record (unknown variable?)"; }
# $LIB: where this system's loader keeps its own libraries
sub=$(readlink -f /lib64/ld-linux-x86-64.so.2 2>/dev/null) && sub=${sub%/*} && sub=${sub#/usr} && sub=${sub#/}
if [ "$(uname -m)" = x86_64 ] && [ -n "$sub" ]; then
	mkdir -p "$WORK/ml/$sub"
	cp "$SHIM" "$WORK/ml/$sub/libsockshim.so"
	# shellcheck disable=SC2016
	SOCKSHIM_LIBRARY="$WORK/ml/\$LIB/libsockshim.so" "$L" --reuseaddr -- "$PROGS/reuse_check" >"$WORK/out" 2>"$WORK/err" ||
		{ cat "$WORK/err"; fail "SOCKSHIM_LIBRARY with \$LIB: exit $?"; }
	grep -qx 'tcp4 new addr=1 port=0' "$WORK/out" || fail "SOCKSHIM_LIBRARY with \$LIB: the loader did not expand it to $sub"
	note "SOCKSHIM_LIBRARY with \$LIB: the loader took $WORK/ml/$sub"
fi
# one that is no library: the contract's bad value, said, and the default
# used (regress_launcher_bad_library_falls_back)
for bad in "$WORK/nothing.so" "$TOP/README.md"; do
	rm -f "$WORK/ran"
	SOCKSHIM_LIBRARY=$bad "$L" -- touch "$WORK/ran" 2>"$WORK/err"
	rc=$?
	[ $rc = 0 ] || fail "SOCKSHIM_LIBRARY=$bad: exit $rc"
	grep -q "warning: SOCKSHIM_LIBRARY=$bad" "$WORK/err" || fail "SOCKSHIM_LIBRARY=$bad: no message"
	[ -e "$WORK/ran" ] || fail "SOCKSHIM_LIBRARY=$bad: the program did not run"
done
note "SOCKSHIM_LIBRARY: preloaded as given; when it is no library, the one found instead: $(cat "$WORK/err")"

# ---- a 32-bit program
P32=$PROGS/seed_server32
[ -x "$P32" ] || skip "no 32-bit test program (gcc -m32 cannot link here: apt-get install gcc-multilib)"
i386_runs || skip "this kernel does not run 32-bit x86 programs (Exec format error)"
[ -f "$B/i386/libsockshim.so" ] || fail "a 32-bit program was built but no build/i386/libsockshim.so"

serve32() { # name launcher-args...: one server life, one client
	name=$1
	shift
	port=$(free_port)
	bg_start "$@" "$P32" "$port" 4000000 1
	wait_listen "$port"
	"$PROGS/seed_client" "$port" 60000 >"$WORK/$name.out"
	rc=$?
	wait "$BG_PID" || fail "$name: server exit $?"
	return $rc
}
serve32 bare32 env && fail "32-bit bare: no reset: $(cat "$WORK/bare32.out")"
assert_grep "$WORK/bare32.out" "then Connection reset by peer"
serve32 shim32 "$L" --graceful --events all --log "$WORK/shim32.log" -- ||
	fail "32-bit under the launcher: $(cat "$WORK/shim32.out")"
assert_grep "$WORK/shim32.out" "^received 4000000 bytes, then EOF$"
check_log "$WORK/shim32.log" --event graceful_close --where prog=seed_server32 --count 1
check_log "$WORK/shim32.log" --event close_rst --count 0
note "32-bit: bare $(cat "$WORK/bare32.out"); with the i386 build: $(cat "$WORK/shim32.out")"

# a tree without the i386 build: refused, and the program does not run
mkdir -p "$WORK/tree/tools" "$WORK/tree/build"
cp "$L" "$WORK/tree/tools/sockshim"
cp "$SHIM" "$WORK/tree/build/libsockshim.so"
"$WORK/tree/tools/sockshim" -- "$P32" 1 1 1 >"$WORK/out" 2>"$WORK/err"
[ $? = 2 ] || fail "32-bit program without an i386 library: not refused"
grep -q "32-bit x86 (i386) program" "$WORK/err" || fail "no clear message: $(cat "$WORK/err")"
note "refused: $(cat "$WORK/err")"
# a 64-bit SOCKSHIM_LIBRARY for a 32-bit program, which the loader would
# ignore: said, and the i386 build found instead (a bad value's default,
# regress_launcher_bad_library_falls_back)
# (the server without arguments: its usage, exit 2, as bare)
SOCKSHIM_LIBRARY="$SHIM" "$L" -- "$P32" >"$WORK/out" 2>"$WORK/err"
[ $? = 2 ] || fail "a 64-bit SOCKSHIM_LIBRARY for a 32-bit program: not its usage's exit: $(cat "$WORK/err")"
grep -q "is a 64-bit x86 (amd64) library" "$WORK/err" || fail "a 64-bit SOCKSHIM_LIBRARY for a 32-bit program: $(cat "$WORK/err")"
! grep -q "cannot be preloaded" "$WORK/err" || fail "the loader ignored a library: $(cat "$WORK/err")"
note "said: $(head -n 1 "$WORK/err")"
serve32 wrongarch env SOCKSHIM_LIBRARY="$SHIM" "$L" --graceful --events all --log "$WORK/wa.log" -- 2>/dev/null ||
	fail "32-bit with a 64-bit SOCKSHIM_LIBRARY: $(cat "$WORK/wrongarch.out")"
assert_grep "$WORK/wrongarch.out" "^received 4000000 bytes, then EOF$"
check_log "$WORK/wa.log" --event graceful_close --where prog=seed_server32 --count 1
