# Under AT_SECURE (a setuid program run by another user) the shim writes no
# file that the environment names.  glibc preloads into such a program only
# a library from a standard directory with the set-user-ID bit, named
# without a slash: the test installs one for the run.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "installs the plain library for a setuid run"
[ "$(id -u)" = 0 ] || skip "needs root (a setuid program and a library in /usr/lib)"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
libdir=$(dirname "$(${CC:-cc} -print-file-name=libc.so.6)")
case $libdir in /*) ;; *) libdir=/lib/x86_64-linux-gnu ;; esac
[ -d "$libdir" ] || skip "no standard library directory"
# A name of this run's own, made whole under another name and moved in: a
# cp onto a name another run (a CI clone beside a work tree) has loaded
# rewrites its mappings in place (its GOT read back from the file:
# SIGSEGV at a PLT entry, or SIGBUS), and its trap would remove the file
# under the other.
name=libsockshim-secure-test-$$.so
install -m 4755 "$SHIM" "$libdir/.$name.tmp" && mv -f "$libdir/.$name.tmp" "$libdir/$name" ||
	{ rm -f "$libdir/.$name.tmp"; skip "cannot install into $libdir"; }
mkdir "$WORK/bin" "$WORK/logs"
cp "$PROGS/events" "$WORK/bin/events" && chmod 4755 "$WORK/bin/events"
chmod 755 "$WORK" "$WORK/bin"
chmod 777 "$WORK/logs"
trap 'rm -f "$libdir/$name"; cleanup' EXIT

# the shim is in there (as nobody, the program is setuid root: AT_SECURE)
setpriv --reuid=nobody --regid=nogroup --clear-groups env LD_PRELOAD=$name \
	SOCKSHIM_LOG="$WORK/logs/secure.log" "$WORK/bin/events" double_close >"$WORK/out" 2>"$WORK/err" ||
	fail "exit $?"
assert_grep "$WORK/out" '^ok$'
[ ! -e "$WORK/logs/secure.log" ] || fail "the shim wrote the file its environment named"
check_log "$WORK/err" --event config_error --where variable=SOCKSHIM_LOG --count 1
assert_grep "$WORK/err" 'setuid'
check_log "$WORK/err" --event double_close --count 1
note "setuid run: no file written, one config_error, the events on stderr"
