# The supervisor under load, in a private network namespace whose kernel
# counters are the oracle: a forking static server (a child per
# connection, the parent closing its copy at once) and a threaded one, each
# with the seed's bug, 30 clients at once.
# - bare: every client is reset; TcpExtTCPAbortOnClose counts the resets;
# - supervised: close_rst records == TcpExtTCPAbortOnClose of that run;
# - supervised --graceful: every client gets its whole answer and EOF, no
#   abort on close, and the forking server's children are not cut by their
#   parent's close (the supervisor knows both hold the socket).
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor runs static programs, which no sanitizer runtime is in"
command -v nstat >/dev/null || skip "nstat is not installed (Debian package iproute2)"
if [ -z "${TEST_PRIVATE_NET:-}" ]; then
	[ "$(id -u)" = 0 ] || skip "needs root for a private network namespace"
	unshare -n true 2>/dev/null || skip "cannot make a network namespace here (unshare -n)"
	trap - EXIT
	rm -rf "$WORK"
	TEST_PRIVATE_NET=1 exec unshare -n bash "$0" "$@"
fi
ip link set lo up || fail "lo"
# nstat's history file is per user, shared with every other namespace's
# nstat: a private one
export NSTAT_HISTORY="$WORK/nstat.history"
L="$TOP/tools/sockshim"
N=30

aborts() { nstat -z TcpExtTCPAbortOnClose | awk '/TcpExtTCPAbortOnClose/ {print $2}'; }

# run SERVER HOW: prints "<whole answers> <resets> <aborts> <close_rst>"
run() {
	server=$1 how=$2
	port=$(free_port)
	rm -f "$WORK/run.log" "$WORK"/c.*
	nstat -n >/dev/null
	case $how in
	bare) "$server" "$port" 1000000 "$N" & ;;
	sv) "$L" --log "$WORK/run.log" -- "$server" "$port" 1000000 "$N" & ;;
	graceful) "$L" --graceful --log "$WORK/run.log" -- "$server" "$port" 1000000 "$N" & ;;
	esac
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_listen "$port"
	cpids=""
	for i in $(seq "$N"); do
		"$PROGS/seed_client" "$port" 60000 >"$WORK/c.$i" &
		cpids="$cpids $!"
	done
	for c in $cpids; do wait "$c"; done
	wait "$pid" || fail "$server $how: server exit $?"
	whole=$(cat "$WORK"/c.* | grep -c '^received 1000000 bytes, then EOF$')
	resets=$(cat "$WORK"/c.* | grep -c 'reset by peer')
	rst=0
	[ -f "$WORK/run.log" ] && rst=$(grep -c '"event":"close_rst"' "$WORK/run.log")
	echo "$whole $resets $(aborts) $rst"
}

for s in fork_server thread_server; do
	S="$PROGS/static/$s"
	set -- $(run "$S" bare)
	# (a request whose tail arrives after the close is reset without an
	# abort on close: the count may be below N)
	[ "$2" = "$N" ] && [ "$3" -ge 1 ] || fail "$s bare: resets $2, aborts $3 of $N"
	note "$s bare: $2 of $N clients reset, TcpExtTCPAbortOnClose $3"
	set -- $(run "$S" sv)
	[ "$3" -gt 0 ] && [ "$4" = "$3" ] || fail "$s supervised: close_rst $4 != TcpExtTCPAbortOnClose $3"
	check_log "$WORK/run.log" --event close_rst --backtrace-has "$( [ $s = fork_server ] && echo child_answer || echo thread_answer)" --at-least 1
	note "$s supervised: close_rst $4 == TcpExtTCPAbortOnClose $3"
	set -- $(run "$S" graceful)
	[ "$1" = "$N" ] && [ "$2" = 0 ] && [ "$3" = 0 ] || fail "$s graceful: whole $1, resets $2, aborts $3 of $N"
	note "$s --graceful: $1 of $N whole answers with EOF, no reset, no abort on close"
done
