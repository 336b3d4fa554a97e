# A review finding in 3a8a119 (a record the rate limiter may hold back
# unwinds first only the frames its site is made of): a libpython that a C
# program dlopen's after the start is found by the look-up a record makes
# through its native frames, and that look-up was given only those few
# frames (the close history's 8).  When the Python code lay deeper, the
# first record after the load was written without its lang_backtrace, its
# site without the Python part (counted apart from the later records of
# the same line).  Now, when that look-up has just found a runtime, the
# record takes all of its frames and looks again.
#
# tests/progs/embed_python loads libpython late and runs a script
# (tests/progs/lang/embedded.py, EMBEDDED_DEEP=1) that closes a socket
# with unread data through deep_close, nine frames of the
# host program below the Python function (with ctypes' and libffi's own
# frames between): the one close_rst names the Python function and line.
# Before the fix (3a8a119): "0 records match (--event close_rst --count 1
# --lang python)": no lang_backtrace; at SOCKSHIM_RATE=0, and before
# 3a8a119, it names close_deep.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "Debian's python3 (/usr/bin/python3) is not installed"
case $FLAVOR in *thread*) skip "no backtraces under ThreadSanitizer" ;; esac
LANG_DIR="$TOP/tests/progs/lang"
lib=$("$PY" -c 'import os, sysconfig as s; print(os.path.join(s.get_config_var("LIBDIR"), s.get_config_var("INSTSONAME")))')
[ -f "$lib" ] || skip "no shared libpython ($lib): the package libpython3.11 is not installed"
check_lang() { python3 "$LANG_DIR/check_lang.py" "$@" || { head -c 3000 "$1"; fail "lang check failed"; }; }

line=$(grep -n 'LANG-LINE-DEEP' "$LANG_DIR/embedded.py" | cut -d: -f1)
# (the default rate limit: lib.sh turns it off for the other tests)
EMBEDDED_DEEP=1 SOCKSHIM_RATE=10/60 SOCKSHIM_LOG="$WORK/deep.log" \
	shim "$PROGS/embed_python" "$lib" "$LANG_DIR/embedded.py" global ||
	fail "embed_python: exit $?"
# Python's frames must lie within the record's native ones (the default
# depth, 16) for the shim to find them at all; else this says nothing.
grep '"event":"close_rst"' "$WORK/deep.log" | grep -q 'libpython' ||
	skip "libpython lies deeper than the record's 16 native frames here: $(head -c 2000 "$WORK/deep.log")"
check_lang "$WORK/deep.log" --event close_rst --count 1 --lang python
check_lang "$WORK/deep.log" --event close_rst --count 1 --frame "<string>:close_deep:$line"
note "libpython loaded late, a close nine native frames below Python: close_rst names close_deep, line $line"
