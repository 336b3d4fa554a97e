# Regression: connections handed from one process to another in
# SCM_RIGHTS (Node's cluster, prefork servers with a separate acceptor).
# tests/progs/pass_server.c: the acceptor passes each connection to a
# worker and closes its own copy at once; the worker (here after 100 ms,
# so the acceptor's close comes first) reads the first line of the
# request, answers with a large body and closes with the rest unread.
#
# 1. The worker's closes were unseen: recvmsg() noted that something came,
#    not what, so the received numbers were unknown to the shim, their
#    closes taken for no socket's: resets sent, no close_rst, and no cure
#    under graceful (Node 20's cluster: 16 resets, 0 records).  Now what
#    comes in SCM_RIGHTS is learned at once.
# 2. Under SOCKSHIM_GRACEFUL=1 the acceptor's close was taken for the last:
#    the shim asks /proc whether another descriptor names a socket that
#    crossed to another process, and a descriptor in flight in SCM_RIGHTS
#    is in no process's table; it shut the connection down and drained the
#    request the worker was to read, and the worker's answer died of
#    SIGPIPE.  Now a socket this process passed is never taken for its
#    last reference so.
# Found by a helper's sweep.  In a private network namespace, against the
# kernel's count.
#
# Before: "default: kernel resets 3, close_rst 0"; graceful: "received 0
# bytes, then EOF".
. "$(dirname "$0")/../lib.sh"
private_net
PS="$PROGS/pass_server"
# round LABEL [VAR=VALUE...]: 3 clients; their lines in $out, resets in
# $aborts, close_rst records in $rst
round() {
	label=$1
	shift
	port=$(free_port)
	before=$(kernel_aborts)
	if [ "$label" = bare ]; then
		"$PS" "$port" 1000000 3 100 &
	else
		env "$@" SOCKSHIM_LOG="$WORK/$label.%p.log" $SAN_VARS LD_PRELOAD="$PRELOAD" "$PS" "$port" 1000000 3 100 &
	fi
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	wait_listen "$port"
	out=$(for i in 1 2 3; do "$PROGS/seed_client" "$port" 60000; done)
	wait "$pid" || fail "$label: pass_server exited $?: $out"
	sleep 0.1
	aborts=$(($(kernel_aborts) - before))
	rst=0
	for f in "$WORK/$label".*.log; do
		[ -f "$f" ] && rst=$((rst + $(count_events "$f" close_rst)))
	done
	note "$label: $(echo "$out" | sort | uniq -c | tr -s ' ' | tr '\n' ';') kernel resets $aborts, close_rst $rst"
}
round bare
[ "$(echo "$out" | grep -c 'reset by peer')" = 3 ] || fail "bare: $out"
[ "$aborts" = 3 ] || fail "bare: the kernel counted $aborts resets, not 3"
round default
[ "$rst" = "$aborts" ] || fail "default: $rst close_rst records, the kernel sent $aborts resets"
grep -h '"close_rst"' "$WORK"/default.*.log | grep -q worker_answer ||
	fail "default: no close_rst names the worker's close"
round graceful SOCKSHIM_GRACEFUL=1
[ "$(echo "$out" | grep -c '^received 1000000 bytes, then EOF$')" = 3 ] ||
	fail "graceful: the answers were not whole, or not ended cleanly: $out"
[ "$aborts" = 0 ] || fail "graceful: the kernel sent $aborts resets"
