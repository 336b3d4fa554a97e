# Sockets that reach another process without a fork() -- posix_spawn,
# system(), vfork+exec, SCM_RIGHTS -- are shared: under SOCKSHIM_GRACEFUL=1
# the server's close of its own copy does not shut the connection down for
# the process that answers.  And a vfork child that closes every descriptor
# leaves the parent's picture alone: the parent's later graceful close and
# its log still work.
. "$(dirname "$0")/../lib.sh"

W="$PROGS/late_writer"
for mode in posix_spawn system vfork sendmsg; do
	out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_LOG="$WORK/$mode.log" shim "$PROGS/spawn_share" "$mode" "$W") ||
		fail "$mode: $out"
	[ "$out" = 'client: received "hello", then EOF' ] || fail "$mode: $out"
	note "$mode: $out"
done

bare=$("$PROGS/spawn_share" vfork_close)
case $bare in *"Connection reset by peer"*) ;; *) fail "vfork_close bare: no reset: $bare" ;; esac
out=$(SOCKSHIM_GRACEFUL=1 SOCKSHIM_EVENTS=all SOCKSHIM_LINGER_MS=200 SOCKSHIM_LOG="$WORK/vfork.log" \
	shim "$PROGS/spawn_share" vfork_close) || fail "vfork_close: $out"
[ "$out" = 'client: received "hello", then EOF' ] || fail "vfork_close under the shim: $out"
# (its peer stays open and silent: the end of the wait is a graceful_close,
# no graceful_timeout, since regress_graceful_idle_peer)
check_log "$WORK/vfork.log" --event graceful_close --where "reason=the peer stayed open and silent" --count 1
check_log "$WORK/vfork.log" --event graceful_timeout --count 0
check_log "$WORK/vfork.log" --event accept --count 1
note "vfork_close: $out (bare: $bare)"
