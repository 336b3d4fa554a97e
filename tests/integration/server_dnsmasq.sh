# dnsmasq over TCP (a forking server nobody here wrote: a child per
# connection): a client sends a query, then a message too short to be one
# and more bytes; the child answers, gives up and closes with the bytes
# unread (after shutdown(SHUT_RDWR)), the parent having closed its copy
# after the fork.  Against the kernel's count (nstat, private network
# namespace): close_rst records == resets, over several connections;
# under SOCKSHIM_GRACEFUL=1, none.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "dnsmasq under a sanitizer runtime (its own allocator and threads)"
DNSMASQ=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
[ -x "$DNSMASQ" ] || skip "dnsmasq is not installed (Debian: dnsmasq-base)"
no_sanitizer "dnsmasq under a sanitizer runtime"
private_net
N=5
dns_round() { # LABEL [VAR=VALUE...]
	label=$1
	shift
	port=$(free_port)
	before=$(kernel_aborts)
	bg_start env "$@" ${1:+SOCKSHIM_LOG="$WORK/$label.log" LD_PRELOAD="$PRELOAD"} "$DNSMASQ" -k -p "$port" \
		--listen-address=127.0.0.1 --bind-interfaces -C /dev/null --no-resolv --no-hosts \
		--address=/example.test/10.0.0.1 --user=root --pid-file="$WORK/dnsmasq.pid"
	dns=$BG_PID
	wait_listen "$port"
	: >"$WORK/$label.out"
	for _ in $(seq $N); do
		python3 "$TOP/tests/runtimes/dns_tcp_client.py" "$port" example.test >>"$WORK/$label.out"
	done
	sleep 0.3
	aborts=$(($(kernel_aborts) - before))
	bg_stop "$dns"
	rst=$(count_events "$WORK/$label.log" close_rst)
	note "$label: $(sort "$WORK/$label.out" | uniq -c | tr -s ' ' | tr '\n' ';') kernel resets $aborts, close_rst $rst"
	grep -q "^answered" "$WORK/$label.out" || fail "$label: no answer"
}
dns_round bare
[ "$aborts" -ge 1 ] || fail "bare: the kernel counted no reset: the case does not show here"
# The parent and the child both hold the connection and may close it at
# the same moment: each asks the kernel after its own close whether the
# socket is gone, and the first to claim it reports it (before the claim,
# CI's load once gave 6 records for 5 resets; regress_shared_close_counted_once).
matches() { [ "$rst" = "$aborts" ]; }
dns_round shim SOCKSHIM_EVENTS=errors
matches || fail "shim: $rst close_rst records, the kernel sent $aborts resets"
dns_round all SOCKSHIM_EVENTS=all
matches || fail "events=all: $rst close_rst records, the kernel sent $aborts resets"
# The reset comes from the child's close, the last reference (the parent
# closed its copy after the fork, as the fork tree's count follows):
# under graceful, lingered on, no reset.
dns_round graceful SOCKSHIM_GRACEFUL=1
[ "$aborts" = 0 ] && [ "$rst" = 0 ] || fail "graceful: $aborts resets, $rst close_rst records"
