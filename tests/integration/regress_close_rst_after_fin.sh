# A close with unread data sends RST only while the connection is open: a
# socket shut down for writing whose peer then finished too (both FINs
# exchanged: TCP_CLOSE) closes silently.  Java's Socket.close() makes
# exactly that sequence (shutdown SHUT_WR, then close).  The shim logged a
# close_rst there that the kernel never sent; now the records match the
# kernel's count of RSTs sent by a close (TcpExtTCPAbortOnClose, in a
# private network namespace), and the open case is still recorded.
. "$(dirname "$0")/../lib.sh"
if [ -z "${RST_NETNS:-}" ] && [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
	trap - EXIT
	rm -rf "$WORK"
	RST_NETNS=1 exec unshare -n bash "$0"
fi
aborts() { nstat -az TcpExtTCPAbortOnClose 2>/dev/null | awk '$1 == "TcpExtTCPAbortOnClose" { print $2 }'; }
kernel=""
if [ -n "${RST_NETNS:-}" ]; then
	ip link set lo up || fail "cannot bring lo up in the private network namespace"
	[ -n "$(aborts)" ] && kernel=1
fi
for mode in finished open; do
	before=$(aborts)
	SOCKSHIM_LOG="$WORK/$mode.log" shim python3 "$TOP/tests/progs/close_after_fin.py" "$mode" >"$WORK/out" 2>&1 ||
		{ cat "$WORK/out"; fail "$mode: exit $?"; }
	records=$(grep -c '"event":"close_rst"' "$WORK/$mode.log" 2>/dev/null)
	want=0
	[ "$mode" = open ] && want=1
	if [ -n "$kernel" ]; then
		rsts=$(($(aborts) - before))
		[ "$rsts" = "$want" ] || fail "$mode: the kernel counted $rsts RSTs, the test expects $want"
	fi
	[ "${records:-0}" = "$want" ] || fail "$mode: ${records:-0} close_rst records, the kernel sent $want RST"
	note "$mode: $want close_rst, as the kernel${kernel:+ (counted)}"
done
