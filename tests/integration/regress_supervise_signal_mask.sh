# Regression: the program under the supervisor lost the signal mask it
# should inherit.  The supervisor blocks the signals it forwards and
# reads them from a signalfd; its child cleared the whole mask before the
# exec, so a program started from a parent that blocks signals (service
# managers, job runners, a thread that spawns) ran with none blocked, and a
# SIGTERM meant to wait for it killed it.  Now the child restores the mask
# the supervisor was started with (found by a helper's sweep).
#
# Before: bare "SigBlk: 0000000000004200", supervised "0000000000000000".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
SV="$B/sockshim-supervise"
[ -x "$SV" ] || fail "build/sockshim-supervise is missing"
# run [SUPERVISOR...]: the program's SigBlk, started with SIGUSR1 and
# SIGTERM blocked
run() {
	python3 - "$@" <<'PY'
import os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM})
argv = sys.argv[1:] + ["awk", "/^SigBlk/ { print $2 }", "/proc/self/status"]
os.execvp(argv[0], argv)
PY
}
bare=$(run) || fail "bare: exit $?"
supervised=$(SOCKSHIM_LOG="$WORK/sv.log" run "$SV" --) || fail "supervised: exit $?"
note "bare SigBlk $bare, supervised $supervised"
[ "$bare" = 0000000000004200 ] || fail "bare: SigBlk $bare, not SIGUSR1 and SIGTERM: the control does not hold"
[ "$supervised" = "$bare" ] || fail "supervised: SigBlk $supervised, bare $bare"
