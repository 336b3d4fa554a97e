# Regression: a stop signal sent to the supervisor (the pid the operator
# started) stopped the supervisor alone: the program did not get it, and
# ran on with no one to answer its trapped calls, so its next close hung
# until a SIGCONT.  haproxy's SIGTTOU ("pause the listeners") and SIGTTIN
# ("resume") froze it instead of reaching its handler.  Now SIGTSTP,
# SIGTTIN and SIGTTOU are passed on, and the supervisor stops only when
# the program does (so that its parent, a shell's job control, still sees
# the stop: the terminal's Ctrl-Z stops both, as before), and a SIGCONT it
# gets goes on to the program if the program is still stopped (found by a
# helper's sweep of static programs).  A stop the program sends its own
# group (vim's suspend: kill(0, SIGTSTP)) still stops the supervisor once
# the program has stopped: an interactive shell sees the job stopped, and
# fg runs it again.
#
# Before: "supervised: SIGTTOU: the program's trapped calls stopped (the
# supervisor's state T)".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SV="$B/sockshim-supervise"
[ -x "$SV" ] || fail "build/sockshim-supervise is missing"
# the program: handlers for SIGTTOU and SIGTTIN (their names into got),
# SIGTSTP left at its default (stop); a socket made and closed every 20 ms
# (a trapped close), its count in beats
beating_prog "$WORK/prog.py" 'got = open(sys.argv[1] + ".got", "a", buffering=1)
def handler(n, _):
    got.write(signal.Signals(n).name + "\n")
signal.signal(signal.SIGTTOU, handler)
signal.signal(signal.SIGTTIN, handler)'
# run LABEL [SUPERVISOR...]
run() {
	label=$1
	start_beating "$@"
	base=$sb_base pid=$sb_pid prog=$sb_prog
	for s in TTOU TTIN; do
		kill -s "$s" "$pid"
		sleep 0.3
		[ "$(proc_state "$pid")" = T ] && { kill -CONT "$pid"; fail "$label: SIG$s: the program's trapped calls stopped (the supervisor's state T)"; }
		beating "$base" || fail "$label: SIG$s: the program stopped beating"
		grep -qx "SIG$s" "$base.got" || fail "$label: SIG$s did not reach the program's handler"
	done
	# the default stop: the pid started stops (its parent sees it), the
	# program with it; a SIGCONT to that pid and both run again
	kill -TSTP "$pid"
	for _ in $(seq 30); do [ "$(proc_state "$pid")" = T ] && [ "$(proc_state "$prog")" = T ] && break; sleep 0.1; done
	[ "$(proc_state "$prog")" = T ] || fail "$label: SIGTSTP: the program did not stop (state $(proc_state "$prog"))"
	[ "$(proc_state "$pid")" = T ] || fail "$label: SIGTSTP: the pid started did not stop (state $(proc_state "$pid"))"
	kill -CONT "$pid"
	beating "$base" || fail "$label: SIGCONT: the program did not run again (state $(proc_state "$prog"), started pid $(proc_state "$pid"))"
	[ "$(proc_state "$pid")" != T ] || fail "$label: SIGCONT: the pid started is still stopped"
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	[ "$rc" = 7 ] || fail "$label: exit $rc after the SIGTERM, not 7"
	note "$label: $(tr '\n' ' ' <"$base.got")handled, SIGTSTP stopped it, SIGCONT ran it again, exit $rc"
}
run bare
run supervised "$SV" --

# Job control in a terminal: an interactive bash in a pty runs the command;
# the program stops its own group (kill(0, SIGTSTP)), bash must see the job
# stopped, and fg must run it to its end.
# jobs LABEL [SUPERVISOR...]
jobs() {
	label=$1
	shift
	SOCKSHIM_LOG="$WORK/jobs.$label.log" timeout 30 python3 - "$@" <<'PY' >"$WORK/jobs.$label" 2>&1
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp("bash", ["bash", "--norc", "--noprofile", "-i"])
def read(secs):
    out, end = b"", time.time() + secs
    while time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                out += os.read(fd, 4096)
            except OSError:
                break
    return out.decode(errors="replace")
read(0.5)
prog = " ".join(sys.argv[1:]) + (" -- " if sys.argv[1:] else "")
os.write(fd, (prog + "python3 -c 'import os,signal,socket,time\n"
              "time.sleep(1); os.kill(0, signal.SIGTSTP); socket.socket().close(); print(\"re\" \"sumed\")'\n").encode())
out = read(4)
print("stopped" if "Stopped" in out else "not stopped: " + repr(out[-200:]))
os.write(fd, b"fg\n")
out = read(3)
print("resumed" if "resumed" in out else "not resumed: " + repr(out[-200:]))
os.write(fd, b"exit\n")
read(0.5)
PY
	grep -qx stopped "$WORK/jobs.$label" || { cat "$WORK/jobs.$label"; fail "$label: kill(0, SIGTSTP): bash did not see the job stopped"; }
	grep -qx resumed "$WORK/jobs.$label" || { cat "$WORK/jobs.$label"; fail "$label: fg did not run the job to its end"; }
	note "$label: kill(0, SIGTSTP) stopped the job, fg ran it to its end"
}
jobs bare
jobs supervised "$SV"
