# Under SOCKSHIM_GRACEFUL=1, a socket that reached the program through
# exec (inetd's way, sshd's) is lingered on at its last close or exit only
# when no other descriptor anywhere still names it (holders.c asks
# /proc): a server hands a connection to a spawned shell (fd 3) and:
#   handed: closes its own copy; the shell answers and exits with the
#           request unread: bare, the client is reset; under the shim, the
#           answer and EOF, no reset counted by the kernel (before: reset,
#           the socket having crossed exec);
#   kept:   keeps its copy; after the shell has exited (the same unread
#           request), the server writes more on it: the shell's exit must
#           not have shut it down (the server's write would fail), under
#           the shim as bare;
#   stdio:  as handed, but the child answers through a stdio stream
#           (regress_exit_linger_before_stdio_flush runs this case:
#           GRACEFUL_AFTER_EXEC_MODES=stdio).
. "$(dirname "$0")/../lib.sh"
private_net
run() { # MODE [VAR=VALUE...]: prints what the client got
	mode=$1
	shift
	python3 - "$mode" "$PRELOAD" "$PROGS/stdio_answer" "$@" <<'PY'
import os, socket, subprocess, sys
mode, preload, stdio_answer, extra = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
env = dict(os.environ)
if extra:
    env["LD_PRELOAD"] = preload
    env.update(kv.split("=", 1) for kv in extra)
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
c = socket.create_connection(l.getsockname())
s, _ = l.accept()
c.sendall(b"request " + b"x" * 20000)
if mode == "stdio":
    child = subprocess.Popen([stdio_answer, "child-answer"], stdout=s, env=env)
else:
    child = subprocess.Popen(["bash", "-c", "printf child-answer >&%d" % s.fileno()],
                             pass_fds=[s.fileno()], env=env)
if mode in ("handed", "stdio"):
    s.close()
else:
    child.wait()
    try:
        s.sendall(b"+parent-after")
    except OSError as e:
        print("server's write failed:", e)
    s.setblocking(False)  # the request read, so that this close resets nothing
    try:
        while s.recv(65536):
            pass
    except BlockingIOError:
        pass
    s.close()
got = b""
c.settimeout(10)
try:
    while True:
        d = c.recv(65536)
        if not d:
            print(got.decode(), "then EOF")
            break
        got += d
except ConnectionResetError:
    print(got.decode(), "then reset")
child.wait()
PY
}
for mode in ${GRACEFUL_AFTER_EXEC_MODES:-handed kept}; do
	before=$(kernel_aborts)
	bare=$(run $mode)
	bare_aborts=$(($(kernel_aborts) - before))
	before=$(kernel_aborts)
	shimmed=$(run $mode SOCKSHIM_GRACEFUL=1 SOCKSHIM_LINGER_MS=2000 SOCKSHIM_LOG="$WORK/$mode.log")
	aborts=$(($(kernel_aborts) - before))
	note "$mode: bare '$bare' ($bare_aborts resets); graceful '$shimmed' ($aborts resets)"
	case $mode in
	handed | stdio)
		[ "$bare" = "child-answer then reset" ] && [ "$bare_aborts" = 1 ] ||
			fail "$mode bare: the case does not show here"
		[ "$shimmed" = "child-answer then EOF" ] && [ "$aborts" = 0 ] ||
			fail "$mode graceful: not cured"
		;;
	kept)
		[ "$bare" = "child-answer+parent-after then EOF" ] || fail "kept bare: $bare"
		[ "$shimmed" = "$bare" ] && [ "$aborts" = 0 ] ||
			fail "kept graceful: the shell's exit cut the server's connection"
		;;
	esac
done
