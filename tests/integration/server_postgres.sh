# PostgreSQL (a forking server nobody here wrote): a backend answers FATAL
# to a client that keeps sending and exits with the client's bytes unread;
# the postmaster closed its copy of the connection after the fork.  The
# reset comes from the backend's exit.  Against the kernel's count (nstat,
# private network namespace): close_rst records == resets, bare and under
# the shim, over several connections; under SOCKSHIM_GRACEFUL=1 no reset
# (the backend's exit holds the last reference, as the fork tree's counts
# say: it is lingered on) and every client reads FATAL, then EOF.
. "$(dirname "$0")/../lib.sh"
PG_BIN=$(dirname "$(command -v postgres 2>/dev/null || ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null | tail -1)")
[ -x "$PG_BIN/postgres" ] && [ -x "$PG_BIN/initdb" ] || skip "PostgreSQL is not installed (Debian: postgresql)"
id nobody >/dev/null 2>&1 || skip "no user nobody to run PostgreSQL as"
no_sanitizer "PostgreSQL under a sanitizer runtime"
private_net
chmod 755 "$WORK"
mkdir "$WORK/pg" "$WORK/sock" && chown nobody "$WORK/pg" "$WORK/sock"
runuser -u nobody -- "$PG_BIN/initdb" -A trust -D "$WORK/pg" >"$WORK/initdb.out" 2>&1 ||
	{ cat "$WORK/initdb.out"; fail "initdb failed"; }

N=5
pg_round() { # LABEL [VAR=VALUE...]: a postmaster, N clients; the kernel's resets in $aborts, records in $rst
	label=$1
	shift
	port=$(free_port)
	log="$WORK/$label.log"
	: >"$log" && chown nobody "$log"
	before=$(kernel_aborts)
	if [ "$label" = bare ]; then
		bg_start runuser -u nobody -- "$PG_BIN/postgres" -D "$WORK/pg" -p "$port" -k "$WORK/sock" \
			-c listen_addresses=127.0.0.1 -c logging_collector=off
	else
		bg_start runuser -u nobody -- env "$@" SOCKSHIM_LOG="$log" LD_PRELOAD="$PRELOAD" \
			"$PG_BIN/postgres" -D "$WORK/pg" -p "$port" -k "$WORK/sock" \
			-c listen_addresses=127.0.0.1 -c logging_collector=off
	fi
	pg=$BG_PID
	wait_listen "$port"
	: >"$WORK/$label.out"
	for _ in $(seq $N); do
		python3 "$TOP/tests/runtimes/pg_fatal_client.py" "$port" 256 >>"$WORK/$label.out" ||
			fail "$label: no FATAL: $(tail -1 "$WORK/$label.out")"
	done
	sleep 0.3
	aborts=$(($(kernel_aborts) - before))
	bg_stop "$pg"
	rst=$(count_events "$log" close_rst)
	note "$label: $(sort "$WORK/$label.out" | uniq -c | tr -s ' ' | tr '\n' ';') kernel resets $aborts, close_rst $rst"
}
pg_round bare
[ "$aborts" -ge 1 ] || fail "bare: the kernel counted no reset: the case does not show here"
pg_round shim
[ "$rst" = "$aborts" ] || fail "shim: $rst close_rst records, the kernel sent $aborts resets"
check_log "$WORK/shim.log" --event close_rst --where reason=unread_data --at-least 1
pg_round graceful SOCKSHIM_GRACEFUL=1
[ "$aborts" = 0 ] || fail "graceful: the kernel still sent $aborts resets"
[ "$(grep -c '^FATAL then EOF$' "$WORK/graceful.out")" = $N ] || fail "graceful: $(sort "$WORK/graceful.out" | uniq -c)"
