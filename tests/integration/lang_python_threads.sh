# Python frames under load and in odd places: 8 threads closing sockets
# with unread data at once, and a signal handler closing one each SIGALRM
# while the main thread makes and closes sockets, under every feature:
# exact counts, every close named by its own line, no deadlock (the run is
# bounded), no crash.  A python whose executable does not export the
# symbols (renamed in a copy of it) runs as before, without lang_backtrace.
. "$(dirname "$0")/../lib.sh"
PY=/usr/bin/python3
[ -x "$PY" ] || skip "Debian's python3 (/usr/bin/python3) is not installed"
case $FLAVOR in *thread*) skip "no backtraces under ThreadSanitizer" ;; esac
LANG_DIR="$TOP/tests/progs/lang"
check_lang() { python3 "$LANG_DIR/check_lang.py" "$@" || { head -c 3000 "$1"; fail "lang check failed"; }; }
prog="$LANG_DIR/close_threads.py"
tline=$(grep -n 'LANG-LINE-THREAD' "$prog" | cut -d: -f1)
hline=$(grep -n 'LANG-LINE-HANDLER' "$prog" | cut -d: -f1)
threads=8 rounds=100 handled=30
closes=$((threads * rounds))

run() { # NAME PYTHON [VAR=VALUE...]
	name=$1 py=$2
	shift 2
	env SOCKSHIM_LOG="$WORK/$name.log" "$@" LD_PRELOAD="$PRELOAD" \
		timeout 120 "$py" "$prog" "$threads" "$rounds" "$handled" >"$WORK/$name.out" 2>&1 ||
		{ cat "$WORK/$name.out"; fail "$name: exit $? (124: hung)"; }
	grep -qx "done $closes $handled" "$WORK/$name.out" || { cat "$WORK/$name.out"; fail "$name: wrong output"; }
}

# The default level: each of those closes is one close_rst.
run errors "$PY"
check_lang "$WORK/errors.log" --event close_rst --count $((closes + handled)) --lang python
check_lang "$WORK/errors.log" --event close_rst --count "$closes" --frame "close_threads.py:close_in_thread:$tline"
check_lang "$WORK/errors.log" --event close_rst --count "$handled" --frame "close_threads.py:close_in_handler:$hline"

# Every feature: events=all, graceful close (both modes), reuse forced.
for mode in async sync; do
	run "all-$mode" "$PY" SOCKSHIM_EVENTS=all SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MODE=$mode \
		SOCKSHIM_LINGER_MS=20 SOCKSHIM_REUSEADDR=1 SOCKSHIM_REUSEPORT=1
	check_lang "$WORK/all-$mode.log" --event close --lang python
	check_lang "$WORK/all-$mode.log" --event close --count "$closes" --frame "close_threads.py:close_in_thread:$tline"
	check_lang "$WORK/all-$mode.log" --event close --count "$handled" --frame "close_threads.py:close_in_handler:$hline"
done
note "8 threads x $rounds closes and $handled in a signal handler: every record names its line"

# A python that exports neither symbol: the records stay, without frames.
cp "$PY" "$WORK/python-renamed"
python3 - "$WORK/python-renamed" <<'PY' || fail "cannot rename the symbols"
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
for name in (b"_Py_DumpTraceback", b"PyGILState_GetThisThreadState"):
    at = data.find(b"\0" + name + b"\0")
    assert at >= 0, name
    data[at + len(name)] = ord("X")  # the dynamic symbol's name ends in X
open(path, "wb").write(data)
PY
run renamed "$WORK/python-renamed"
check_lang "$WORK/renamed.log" --event close_rst --count $((closes + handled)) --no-lang
note "python without the exported symbols: $((closes + handled)) close_rst, no lang_backtrace"
