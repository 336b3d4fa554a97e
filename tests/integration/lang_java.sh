# The line in the program's own language, Java (java.net.Socket and
# SocketChannel), run through the launcher, which makes the library the
# JVM's agent too: the seed's bug logs exactly one close_rst whose
# lang_backtrace names the server's own method, file and line (checked
# against the source), and sockshim-report names that line as the call site.
# java.net.Socket's close sends its FIN first (shutdown SHUT_WR), so the
# client may read the whole answer before the RST arrives: the client keeps
# its end open a second after the answer (so that the close always resets),
# and the kernel's count of RSTs sent by a close (TcpExtTCPAbortOnClose, in
# a private network namespace) is what the record is checked against.
. "$(dirname "$0")/../lib.sh"
if [ -z "${LANG_JAVA_NETNS:-}" ] && [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
	trap - EXIT
	rm -rf "$WORK"
	LANG_JAVA_NETNS=1 exec unshare -n bash "$0"
fi
aborts() { nstat -az TcpExtTCPAbortOnClose 2>/dev/null | awk '$1 == "TcpExtTCPAbortOnClose" { print $2 }'; }
if [ -n "${LANG_JAVA_NETNS:-}" ]; then
	ip link set lo up || fail "cannot bring lo up in the private network namespace"
	[ -n "$(aborts)" ] || LANG_JAVA_NETNS=""
fi
command -v java >/dev/null || skip "java is not installed"
command -v javac >/dev/null || skip "javac is not installed (a JDK)"
case $FLAVOR in plain) ;; *) skip "the JVM is not run under sanitizers here ($FLAVOR)" ;; esac
grep -qa AsyncGetCallTrace "$SHIM" || skip "the library was built without the JDK's jvmti.h: no JVM agent"
LANG_DIR="$TOP/tests/progs/lang"
check_lang() { python3 "$LANG_DIR/check_lang.py" "$@" || { head -c 3000 "$1"; fail "lang check failed"; }; }

javac -g -d "$WORK/classes" "$LANG_DIR/SeedServer.java" || fail "javac failed"
for kind in socket channel; do
	tag=$(echo "$kind" | tr a-z A-Z)
	line=$(grep -n "LANG-LINE-$tag" "$LANG_DIR/SeedServer.java" | cut -d: -f1)
	method=answerAndClose
	[ "$kind" = channel ] && method=answerAndCloseChannel
	port=$(free_port)
	before=$(aborts)
	"$TOP/tools/sockshim" --log "$WORK/$kind.log" -- \
		java -cp "$WORK/classes" SeedServer "$port" 4000000 1 "$kind" 2>"$WORK/$kind.err" &
	server=$!
	BG_PIDS="$BG_PIDS $server"
	wait_listen "$port"
	python3 "$LANG_DIR/slow_closer.py" "$port" 60000 >"$WORK/client" 2>&1 || fail "$kind: the client failed"
	wait "$server" || { cat "$WORK/$kind.err"; fail "$kind: the server exited $?"; }
	if [ -n "${LANG_JAVA_NETNS:-}" ]; then
		rsts=$(($(aborts) - before))
		[ "$rsts" = 1 ] || fail "$kind: the kernel counted $rsts RSTs sent by a close, expected 1"
	else
		note "(no private network namespace: the kernel's count is not checked)"
	fi
	grep -q "Picked up JAVA_TOOL_OPTIONS: -agentpath:" "$WORK/$kind.err" ||
		fail "$kind: the launcher did not give the JVM its agent"
	check_lang "$WORK/$kind.log" --event close_rst --count 1 --lang java
	check_lang "$WORK/$kind.log" --event close_rst --count 1 --frame "SeedServer.java:SeedServer.$method:$line"
	"$B/sockshim-report" "$WORK/$kind.log" >"$WORK/report" || fail "sockshim-report exit $?"
	assert_grep "$WORK/report" "call site \\(java\\): SeedServer.$method +SeedServer.java:$line\$"
	note "$kind: close_rst names SeedServer.$method, SeedServer.java:$line; so does the report"
done

# JAVA_TOOL_OPTIONS already set is kept, after the agent.
JAVA_TOOL_OPTIONS=-Dsockshim.test=kept "$TOP/tools/sockshim" -- java -XshowSettings:properties -version \
	>"$WORK/props" 2>&1 || fail "java -version under the launcher: exit $?"
assert_grep "$WORK/props" "Picked up JAVA_TOOL_OPTIONS: -agentpath:[^ ]*libsockshim.so -Dsockshim.test=kept"
assert_grep "$WORK/props" "sockshim.test = kept"
