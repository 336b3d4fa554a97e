# OpenSSH's sshd (a forking server nobody here wrote): a client sends junk
# where its banner belongs, and more; the connection process (a child that
# re-executed sshd, the socket passed through exec) says "Invalid SSH
# identification string" and ends with _exit() with the rest unread.  The
# listener closed its copy after the fork.  Against the kernel's count
# (nstat, private network namespace): close_rst records == resets, at the
# default level and at events=all, over several connections (0 records
# before the shim interposed _exit: regress_underscore_exit_unseen).
# Under SOCKSHIM_GRACEFUL=1 cured: the socket crossed exec, where the fork
# tree's counts do not follow, so the shim asks /proc whether any other
# descriptor still names it (none: the listener closed its copy) and
# lingers: every client reads the refusal, then EOF; no reset.
. "$(dirname "$0")/../lib.sh"
SSHD=/usr/sbin/sshd
[ -x "$SSHD" ] || skip "sshd is not installed (Debian: openssh-server)"
command -v ssh-keygen >/dev/null || skip "ssh-keygen is not installed (Debian: openssh-client)"
no_sanitizer "sshd under a sanitizer runtime"
private_net
mkdir -p /run/sshd # its privilege separation directory
ssh-keygen -q -t ed25519 -N '' -f "$WORK/hostkey" || fail "ssh-keygen"
N=4
ssh_round() { # LABEL [VAR=VALUE...]: sshd, N clients; resets in $aborts, records in $rst
	label=$1
	shift
	port=$(free_port)
	before=$(kernel_aborts)
	bg_start env "$@" ${1:+SOCKSHIM_LOG="$WORK/$label.log" LD_PRELOAD="$PRELOAD"} "$SSHD" -D -e \
		-f /dev/null -h "$WORK/hostkey" -p "$port" -o ListenAddress=127.0.0.1 -o PidFile=none
	sshd=$BG_PID
	wait_listen "$port"
	: >"$WORK/$label.out"
	for _ in $(seq $N); do
		python3 - "$port" >>"$WORK/$label.out" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.recv(200)  # the server's banner
s.sendall(b"NOT-SSH " * 40 + b"\r\n" + b"x" * 20000)
time.sleep(0.2)
got = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            print("answered" if got else "nothing", "then EOF")
            break
        got += d
except ConnectionResetError:
    print("answered" if got else "nothing", "then reset")
PY
	done
	sleep 0.3
	aborts=$(($(kernel_aborts) - before))
	bg_stop "$sshd"
	rst=$(count_events "$WORK/$label.log" close_rst)
	note "$label: $(sort "$WORK/$label.out" | uniq -c | tr -s ' ' | tr '\n' ';') kernel resets $aborts, close_rst $rst"
	grep -q "^answered" "$WORK/$label.out" || fail "$label: sshd answered nothing"
}
ssh_round bare
[ "$aborts" -ge 1 ] || fail "bare: the kernel counted no reset: the case does not show here"
ssh_round shim SOCKSHIM_EVENTS=errors
[ "$rst" = "$aborts" ] || fail "shim: $rst close_rst records, the kernel sent $aborts resets"
check_log "$WORK/shim.log" --event close_rst --where reason=unread_data --at-least 1
ssh_round all SOCKSHIM_EVENTS=all
[ "$rst" = "$aborts" ] || fail "events=all: $rst close_rst records, the kernel sent $aborts resets"
ssh_round graceful SOCKSHIM_GRACEFUL=1
[ "$aborts" = 0 ] && [ "$rst" = 0 ] || fail "graceful: $aborts resets, $rst close_rst records"
[ "$(grep -c '^answered then EOF' "$WORK/graceful.out")" = $N ] || fail "graceful: $(cat "$WORK/graceful.out")"
