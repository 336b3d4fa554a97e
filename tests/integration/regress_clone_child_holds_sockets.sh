# Regression: a child made without fork() -- syscall(SYS_clone),
# syscall(SYS_fork), or libc's clone() without CLONE_VM -- was not taken
# for a holder of the sockets it inherits.  vsftpd makes its session
# processes so (isolate=YES, Debian's default): under SOCKSHIM_GRACEFUL=1
# the parent's close of its copy, taken for the last, shut the child's
# connection down (every lftp download hung), and at the default level it
# wrote false close_rst records (10 and 20 where the kernel counted 0).
# Found by a helper's sweep.  tests/progs/clone_server: the child reads
# the whole request and answers 100 ms after the parent's close.
# Before: "sysfork, graceful: 0 of 5 answers whole", "sysfork: 5 close_rst
# records for 0 resets".
. "$(dirname "$0")/../lib.sh"
private_net
N=5

for mode in fork sysfork sysclone clonefn; do
	for graceful in 0 1; do
		port=$(free_port)
		log="$WORK/$mode.$graceful.log"
		before=$(kernel_aborts)
		: >"$WORK/clients"
		env SOCKSHIM_GRACEFUL=$graceful SOCKSHIM_LOG="$log" $SAN_VARS LD_PRELOAD="$PRELOAD" \
			"$PROGS/clone_server" "$mode" "$port" 1000 "$N" >"$WORK/server.out" 2>&1 &
		pid=$!
		BG_PIDS="$BG_PIDS $pid"
		wait_listen "$port"
		for i in $(seq "$N"); do
			"$PROGS/seed_client" "$port" 100 >>"$WORK/clients" 2>&1
		done
		wait "$pid" || { rc=$?; cat "$WORK/server.out"; fail "$mode: server exit $rc"; }
		whole=$(grep -c '^received 1000 bytes, then EOF$' "$WORK/clients")
		resets=$(($(kernel_aborts) - before))
		records=$(count_events "$log" close_rst)
		[ "$whole" = "$N" ] || { cat "$WORK/clients"; fail "$mode, graceful=$graceful: $whole of $N answers whole"; }
		[ "$records" = "$resets" ] || fail "$mode, graceful=$graceful: $records close_rst records for $resets resets"
	done
	note "$mode: every answer whole, close_rst records = the kernel's resets ($resets)"
done
